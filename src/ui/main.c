/* main.c: entry point of the messenger application */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "messenger-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MessengerApplication) app = NULL;
  const char *localedir = g_getenv ("MESSENGER_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* MESSENGER_LOCALEDIR: the build's catalogues (BUILD/po) for a run that
   * is not installed, as the UI tests and build-aux/dev do. */
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL && *localedir != '\0' ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = messenger_application_new (APP_ID, G_APPLICATION_DEFAULT_FLAGS);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
