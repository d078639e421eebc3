/* messenger-paths.c: where a profile keeps its files */
#include "config.h"

#include <string.h>

#include "messenger-paths.h"

static gboolean
profile_name_is_safe (const char *profile)
{
  /* A profile name becomes a folder name: no separators, no "..". */
  return profile != NULL && *profile != '\0'
         && strchr (profile, '/') == NULL
         && strcmp (profile, ".") != 0 && strcmp (profile, "..") != 0;
}

char *
messenger_paths_profile_dir (const char *profile)
{
  g_return_val_if_fail (profile == NULL || profile_name_is_safe (profile), NULL);

  return g_build_filename (g_get_user_data_dir (), "messenger",
                           profile != NULL ? profile : "default", NULL);
}

char *
messenger_paths_profile_database (const char *profile)
{
  g_autofree char *dir = messenger_paths_profile_dir (profile);

  if (dir == NULL)
    return NULL;
  return g_build_filename (dir, "messenger.db", NULL);
}

char *
messenger_paths_local_server_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "messenger", "local-server", NULL);
}
