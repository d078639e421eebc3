/* messenger-avatar-cache.c: contacts' pictures (vCard-based avatars)
 *
 *   presence with <x xmlns='vcard-temp:x:update'><photo>H</photo></x>
 *     H == what we show for the JID     → nothing
 *     H is a file in the cache already  → show it ("changed")
 *     otherwise                         → iq get vCard ──▶ BINVAL decoded
 *                                         ──▶ written as DIR/sha1 (async)
 *                                         ──▶ index updated, "changed"
 *   <photo/> empty                      → no picture ("changed")
 *   no <photo> child                    → the sender is not ready: nothing
 *
 * The cache keeps, per bare JID, the SHA-1 of the picture it shows; that
 * map is saved as DIR/index (one "sha1 jid" a line, written a moment after
 * the last change) and read when the cache is made, so pictures show
 * offline.  Picture files are named by the SHA-1 of their content, never
 * by what the network says, so a hostile hash cannot name a path.
 *
 * Presence stanzas are read from the session's XmppClient
 * ("stanza-received"), because XmppPresence carries no photo hash; the
 * client of each session is followed through the account's state.
 */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#include "messenger-avatar-cache.h"

#define NS_VCARD         "vcard-temp"
#define NS_VCARD_UPDATE  "vcard-temp:x:update"
#define INDEX_NAME       "index"
#define MAX_PHOTO_SIZE   (1024 * 1024)
#define SAVE_DELAY_MS    1000

struct _MessengerAvatarCache
{
  GObject           parent_instance;

  MessengerAccount *account;
  char             *dir;

  GHashTable       *shown;      /* bare JID → sha1 of the file shown */
  GHashTable       *fetching;   /* bare JID → hash announced (or "") */
  GHashTable       *fetched;    /* bare JID → announced hash last fetched for */

  XmppClient       *client;     /* of the current session */
  gulong            stanza_handler;
  GCancellable     *cancellable;
  guint             save_source;
};

G_DEFINE_FINAL_TYPE (MessengerAvatarCache, messenger_avatar_cache, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_DIR,
  N_PROPS
};

enum {
  SIGNAL_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void fetch_vcard (MessengerAvatarCache *self,
                         const char           *bare_jid,
                         const char           *announced);

MessengerAvatarCache *
messenger_avatar_cache_new (MessengerAccount *account,
                            const char       *cache_dir)
{
  g_return_val_if_fail (MESSENGER_IS_ACCOUNT (account), NULL);
  g_return_val_if_fail (cache_dir != NULL, NULL);

  return g_object_new (MESSENGER_TYPE_AVATAR_CACHE,
                       "account", account,
                       "dir", cache_dir,
                       NULL);
}

MessengerAccount *
messenger_avatar_cache_get_account (MessengerAvatarCache *self)
{
  g_return_val_if_fail (MESSENGER_IS_AVATAR_CACHE (self), NULL);
  return self->account;
}

const char *
messenger_avatar_cache_get_dir (MessengerAvatarCache *self)
{
  g_return_val_if_fail (MESSENGER_IS_AVATAR_CACHE (self), NULL);
  return self->dir;
}

/* 40 lowercase hex digits: a SHA-1 as XEP-0153 writes it. */
static gboolean
is_sha1 (const char *text)
{
  guint i;

  for (i = 0; text[i] != '\0'; i++)
    if (!g_ascii_isxdigit (text[i]) || g_ascii_isupper (text[i]))
      return FALSE;
  return i == 40;
}

static char *
photo_path (MessengerAvatarCache *self,
            const char           *sha1)
{
  return g_build_filename (self->dir, sha1, NULL);
}

/* --- the index ------------------------------------------------------ */

static void
load_index (MessengerAvatarCache *self)
{
  g_autofree char *path = g_build_filename (self->dir, INDEX_NAME, NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return;
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *space = strchr (lines[i], ' ');
      g_autoptr(XmppJid) jid = NULL;

      if (space == NULL)
        continue;
      *space = '\0';
      if (!is_sha1 (lines[i]) || (jid = xmpp_jid_new (space + 1, NULL)) == NULL)
        continue;
      g_hash_table_replace (self->shown, g_strdup (xmpp_jid_get_bare_string (jid)), g_strdup (lines[i]));
    }
}

static gboolean
save_index_cb (gpointer user_data)
{
  MessengerAvatarCache *self = user_data;
  g_autofree char *path = g_build_filename (self->dir, INDEX_NAME, NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  GHashTableIter iter;
  gpointer jid, sha1;

  self->save_source = 0;
  g_hash_table_iter_init (&iter, self->shown);
  while (g_hash_table_iter_next (&iter, &jid, &sha1))
    g_string_append_printf (text, "%s %s\n", (char *) sha1, (char *) jid);
  if (g_mkdir_with_parents (self->dir, 0700) != 0
      || !g_file_set_contents_full (path, text->str, text->len,
                                    G_FILE_SET_CONTENTS_CONSISTENT, 0600, &error))
    g_warning ("Cannot save the avatar index %s: %s", path,
               error != NULL ? error->message : g_strerror (errno));
  return G_SOURCE_REMOVE;
}

static void
queue_save (MessengerAvatarCache *self)
{
  if (self->save_source == 0)
    self->save_source = g_timeout_add (SAVE_DELAY_MS, save_index_cb, self);
}

/* Show @sha1 (NULL: nothing) for @bare_jid. */
static void
set_shown (MessengerAvatarCache *self,
           const char           *bare_jid,
           const char           *sha1)
{
  if (g_strcmp0 (g_hash_table_lookup (self->shown, bare_jid), sha1) == 0)
    return;
  if (sha1 != NULL)
    g_hash_table_replace (self->shown, g_strdup (bare_jid), g_strdup (sha1));
  else
    g_hash_table_remove (self->shown, bare_jid);
  queue_save (self);
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, bare_jid);
}

/* --- public --------------------------------------------------------- */

GIcon *
messenger_avatar_cache_lookup (MessengerAvatarCache *self,
                               const char           *bare_jid)
{
  g_autofree char *path = NULL;
  g_autoptr(GFile) file = NULL;
  const char *sha1;

  g_return_val_if_fail (MESSENGER_IS_AVATAR_CACHE (self), NULL);
  g_return_val_if_fail (bare_jid != NULL, NULL);

  sha1 = g_hash_table_lookup (self->shown, bare_jid);
  if (sha1 == NULL)
    return NULL;
  path = photo_path (self, sha1);
  file = g_file_new_for_path (path);
  return g_file_icon_new (file);
}

void
messenger_avatar_cache_refresh (MessengerAvatarCache *self,
                                const char           *bare_jid)
{
  g_autoptr(XmppJid) jid = NULL;

  g_return_if_fail (MESSENGER_IS_AVATAR_CACHE (self));
  g_return_if_fail (bare_jid != NULL);

  jid = xmpp_jid_new (bare_jid, NULL);
  if (jid == NULL)
    return;
  fetch_vcard (self, xmpp_jid_get_bare_string (jid), "");
}

/* --- fetching ------------------------------------------------------- */

typedef struct
{
  MessengerAvatarCache *self;
  char                 *jid;
  char                 *announced;
  char                 *sha1;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->self);
  g_free (fetch->jid);
  g_free (fetch->announced);
  g_free (fetch->sha1);
  g_free (fetch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Fetch, fetch_free)

static void
fetch_done (Fetch      *fetch,
            const char *sha1)
{
  MessengerAvatarCache *self = fetch->self;

  g_hash_table_remove (self->fetching, fetch->jid);
  g_hash_table_replace (self->fetched, g_strdup (fetch->jid), g_strdup (fetch->announced));
  set_shown (self, fetch->jid, sha1);
}

static void
photo_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_file_replace_contents_finish (G_FILE (source), result, NULL, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot save the picture of %s: %s", fetch->jid, error->message);
      g_hash_table_remove (fetch->self->fetching, fetch->jid);
      return;
    }
  fetch_done (fetch, fetch->sha1);
}

/* The picture in a vCard, or NULL when it has none (or a broken one). */
static GBytes *
vcard_photo (XmppElement *vcard)
{
  XmppElement *photo, *binval;
  g_autofree guchar *data = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (vcard == NULL
      || (photo = xmpp_element_find_child (vcard, NS_VCARD, "PHOTO")) == NULL
      || (binval = xmpp_element_find_child (photo, NS_VCARD, "BINVAL")) == NULL)
    return NULL;
  /* The base64 text may be wrapped; g_base64_decode skips what is not in
   * its alphabet.  A copy because it decodes in place. */
  text = g_strdup (xmpp_element_get_text (binval));
  if (strlen (text) > (MAX_PHOTO_SIZE / 3 + 1) * 4 + MAX_PHOTO_SIZE / 32)
    return NULL;
  data = g_base64_decode (text, &len);
  if (data == NULL || len == 0 || len > MAX_PHOTO_SIZE)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

static void
vcard_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(Fetch) fetch = user_data;
  MessengerAvatarCache *self = fetch->self;
  g_autoptr(XmppElement) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) photo = NULL;
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;

  reply = xmpp_client_send_iq_finish (XMPP_CLIENT (source), result, &error);
  if (reply == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          /* Not now (timeout, gone): try again at the next presence with
           * the hash.  An error reply means no vCard: no picture. */
          g_debug ("No vCard for %s: %s", fetch->jid, error->message);
          if (error->domain == XMPP_STANZA_ERROR)
            fetch_done (fetch, NULL);
          else
            g_hash_table_remove (self->fetching, fetch->jid);
        }
      return;
    }

  photo = vcard_photo (xmpp_element_find_child (reply, NS_VCARD, "vCard"));
  if (photo == NULL)
    {
      fetch_done (fetch, NULL);
      return;
    }

  fetch->sha1 = g_compute_checksum_for_bytes (G_CHECKSUM_SHA1, photo);
  path = photo_path (self, fetch->sha1);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      fetch_done (fetch, fetch->sha1);
      return;
    }
  if (g_mkdir_with_parents (self->dir, 0700) != 0)
    {
      g_warning ("Cannot create %s: %s", self->dir, g_strerror (errno));
      g_hash_table_remove (self->fetching, fetch->jid);
      return;
    }
  file = g_file_new_for_path (path);
  g_file_replace_contents_bytes_async (file, photo, NULL, FALSE,
                                       G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                                       self->cancellable, photo_written_cb, g_steal_pointer (&fetch));
}

static void
fetch_vcard (MessengerAvatarCache *self,
             const char           *bare_jid,
             const char           *announced)
{
  g_autoptr(XmppElement) iq = NULL;
  Fetch *fetch;

  if (self->client == NULL || g_hash_table_contains (self->fetching, bare_jid))
    return;

  g_hash_table_replace (self->fetching, g_strdup (bare_jid), g_strdup (announced));
  iq = xmpp_stanza_new_iq ("get", bare_jid, NULL);
  xmpp_element_add_child_new (iq, NS_VCARD, "vCard");

  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->jid = g_strdup (bare_jid);
  fetch->announced = g_strdup (announced);
  xmpp_client_send_iq_async (self->client, iq, self->cancellable, vcard_cb, fetch);
}

/* --- presence ------------------------------------------------------- */

static void
stanza_received_cb (XmppClient           *client,
                    XmppElement          *stanza,
                    MessengerAvatarCache *self)
{
  XmppElement *update, *photo;
  g_autoptr(XmppJid) from = NULL;
  g_autoptr(XmppJid) bare = NULL;
  const char *type, *from_text, *jid;
  g_autofree char *hash = NULL;
  g_autofree char *path = NULL;

  if (!xmpp_element_is (stanza, XMPP_NS_CLIENT, "presence"))
    return;
  type = xmpp_element_get_attribute (stanza, "type");
  if (type != NULL)   /* only available presence carries the hash */
    return;
  update = xmpp_element_find_child (stanza, NS_VCARD_UPDATE, "x");
  if (update == NULL
      || (photo = xmpp_element_find_child (update, NS_VCARD_UPDATE, "photo")) == NULL)
    return;
  from_text = xmpp_element_get_attribute (stanza, "from");
  if (from_text == NULL || (from = xmpp_jid_new (from_text, NULL)) == NULL)
    return;
  bare = xmpp_jid_get_bare (from);
  jid = xmpp_jid_get_bare_string (bare);

  hash = g_ascii_strdown (xmpp_element_get_text (photo), -1);
  g_strstrip (hash);
  if (*hash == '\0')
    {
      /* Told there is no picture. */
      g_hash_table_remove (self->fetched, jid);
      set_shown (self, jid, NULL);
      return;
    }
  if (!is_sha1 (hash))
    return;

  if (g_strcmp0 (g_hash_table_lookup (self->shown, jid), hash) == 0
      || g_strcmp0 (g_hash_table_lookup (self->fetched, jid), hash) == 0
      || g_strcmp0 (g_hash_table_lookup (self->fetching, jid), hash) == 0)
    return;

  /* Someone else's picture, or one we had before: no need to ask. */
  path = photo_path (self, hash);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      set_shown (self, jid, hash);
      return;
    }
  fetch_vcard (self, jid, hash);
}

static void
follow_session (MessengerAvatarCache *self)
{
  XmppClient *client = messenger_account_get_client (self->account);

  if (client == self->client)
    return;

  if (self->client != NULL)
    {
      g_clear_signal_handler (&self->stanza_handler, self->client);
      g_clear_object (&self->client);
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_hash_table_remove_all (self->fetching);

  if (client != NULL)
    {
      self->client = g_object_ref (client);
      self->cancellable = g_cancellable_new ();
      self->stanza_handler = g_signal_connect_object (client, "stanza-received",
                                                      G_CALLBACK (stanza_received_cb), self, 0);
    }
}

static void
account_state_cb (MessengerAccount     *account,
                  GParamSpec           *pspec,
                  MessengerAvatarCache *self)
{
  follow_session (self);
}

/* --- GObject -------------------------------------------------------- */

static void
messenger_avatar_cache_constructed (GObject *object)
{
  MessengerAvatarCache *self = MESSENGER_AVATAR_CACHE (object);

  G_OBJECT_CLASS (messenger_avatar_cache_parent_class)->constructed (object);

  load_index (self);
  g_signal_connect_object (self->account, "notify::state", G_CALLBACK (account_state_cb), self, 0);
  follow_session (self);
}

static void
messenger_avatar_cache_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MessengerAvatarCache *self = MESSENGER_AVATAR_CACHE (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_DIR:
      g_value_set_string (value, self->dir);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_avatar_cache_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  MessengerAvatarCache *self = MESSENGER_AVATAR_CACHE (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    case PROP_DIR:
      self->dir = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_avatar_cache_dispose (GObject *object)
{
  MessengerAvatarCache *self = MESSENGER_AVATAR_CACHE (object);

  if (self->save_source != 0)
    {
      g_clear_handle_id (&self->save_source, g_source_remove);
      save_index_cb (self);
    }
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client != NULL)
    g_clear_signal_handler (&self->stanza_handler, self->client);
  g_clear_object (&self->client);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (messenger_avatar_cache_parent_class)->dispose (object);
}

static void
messenger_avatar_cache_finalize (GObject *object)
{
  MessengerAvatarCache *self = MESSENGER_AVATAR_CACHE (object);

  g_free (self->dir);
  g_hash_table_unref (self->shown);
  g_hash_table_unref (self->fetching);
  g_hash_table_unref (self->fetched);

  G_OBJECT_CLASS (messenger_avatar_cache_parent_class)->finalize (object);
}

static void
messenger_avatar_cache_class_init (MessengerAvatarCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = messenger_avatar_cache_constructed;
  object_class->get_property = messenger_avatar_cache_get_property;
  object_class->set_property = messenger_avatar_cache_set_property;
  object_class->dispose = messenger_avatar_cache_dispose;
  object_class->finalize = messenger_avatar_cache_finalize;

  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, MESSENGER_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIR] =
    g_param_spec_string ("dir", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
messenger_avatar_cache_init (MessengerAvatarCache *self)
{
  self->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->fetching = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->fetched = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}
