/* messenger-paths.h: where a profile keeps its files */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The per-profile data folder: $XDG_DATA_HOME/messenger/PROFILE (inside a
 * Flatpak, XDG_DATA_HOME already points into the sandbox's own folder). */
char *messenger_paths_profile_dir      (const char *profile);
char *messenger_paths_profile_database (const char *profile);
/* The bundled server's data folder for "Use a local server". */
char *messenger_paths_local_server_dir (void);

G_END_DECLS
