/* messenger-avatar-image.c: a round avatar: a picture, or initials on a colour
 *
 * Pictures are decoded off the main thread at twice the widget's size (for
 * HiDPI) the first time a widget showing them is mapped, and kept in a
 * small process-wide table shared by every avatar, so scrolling a long
 * list decodes each picture once and binds rows at no cost.
 */
#include "config.h"

#include "messenger-avatar-image.h"

#define TEXTURE_CACHE_MAX 256

struct _MessengerAvatarImage
{
  GtkWidget     parent_instance;

  int           size;
  GdkRGBA       color;
  gboolean      has_color;
  char         *initials;
  PangoLayout  *layout;
  GIcon        *icon;
  GdkTexture   *texture;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (MessengerAvatarImage, messenger_avatar_image, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SIZE,
  PROP_COLOR,
  PROP_INITIALS,
  PROP_ICON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* "icon-key@pixels" → GdkTexture.  Cleared when full: pictures are small
 * and decoding again is cheap next to keeping thousands around. */
static GHashTable *texture_cache;

static char *
texture_key (GIcon *icon,
             int    pixels)
{
  g_autofree char *name = g_icon_to_string (icon);

  if (name == NULL)  /* a GBytesIcon has no string form */
    name = g_strdup_printf ("bytes:%u", g_icon_hash (icon));
  return g_strdup_printf ("%s@%d", name, pixels);
}

static GdkTexture *
texture_cache_lookup (const char *key)
{
  return texture_cache != NULL ? g_hash_table_lookup (texture_cache, key) : NULL;
}

static void
texture_cache_insert (const char *key,
                      GdkTexture *texture)
{
  if (texture_cache == NULL)
    texture_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  if (g_hash_table_size (texture_cache) >= TEXTURE_CACHE_MAX)
    g_hash_table_remove_all (texture_cache);
  g_hash_table_replace (texture_cache, g_strdup (key), g_object_ref (texture));
}

GtkWidget *
messenger_avatar_image_new (int size)
{
  return g_object_new (MESSENGER_TYPE_AVATAR_IMAGE, "size", size, NULL);
}

int
messenger_avatar_image_get_size (MessengerAvatarImage *self)
{
  g_return_val_if_fail (MESSENGER_IS_AVATAR_IMAGE (self), 0);
  return self->size;
}

void
messenger_avatar_image_set_size (MessengerAvatarImage *self,
                                 int                   size)
{
  g_return_if_fail (MESSENGER_IS_AVATAR_IMAGE (self));
  g_return_if_fail (size > 0);

  if (self->size == size)
    return;
  self->size = size;
  g_clear_object (&self->layout);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}

void
messenger_avatar_image_set_color (MessengerAvatarImage *self,
                                  const char           *color)
{
  GdkRGBA rgba;
  gboolean valid;

  g_return_if_fail (MESSENGER_IS_AVATAR_IMAGE (self));

  valid = color != NULL && gdk_rgba_parse (&rgba, color);
  if (valid == self->has_color && (!valid || gdk_rgba_equal (&rgba, &self->color)))
    return;
  self->has_color = valid;
  if (valid)
    self->color = rgba;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR]);
}

void
messenger_avatar_image_set_initials (MessengerAvatarImage *self,
                                     const char           *initials)
{
  g_return_if_fail (MESSENGER_IS_AVATAR_IMAGE (self));

  if (g_strcmp0 (self->initials, initials) == 0)
    return;
  g_free (self->initials);
  self->initials = g_strdup (initials);
  if (self->layout != NULL)
    pango_layout_set_text (self->layout, self->initials != NULL ? self->initials : "", -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INITIALS]);
}

GIcon *
messenger_avatar_image_get_icon (MessengerAvatarImage *self)
{
  g_return_val_if_fail (MESSENGER_IS_AVATAR_IMAGE (self), NULL);
  return self->icon;
}

static int
texture_pixels (MessengerAvatarImage *self)
{
  return self->size * MAX (gtk_widget_get_scale_factor (GTK_WIDGET (self)), 2);
}

static void
load_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GIcon *icon = task_data;
  int pixels = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (task), "pixels"));
  g_autoptr(GInputStream) stream = NULL;
  g_autoptr(GdkPixbuf) pixbuf = NULL;
  g_autoptr(GError) error = NULL;

  stream = g_loadable_icon_load (G_LOADABLE_ICON (icon), pixels, NULL, cancellable, &error);
  if (stream != NULL)
    pixbuf = gdk_pixbuf_new_from_stream_at_scale (stream, pixels, pixels, TRUE, cancellable, &error);
  if (pixbuf == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, gdk_texture_new_for_pixbuf (pixbuf), g_object_unref);
}

static void
loaded_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (source);
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GError) error = NULL;
  const char *key = g_object_get_data (G_OBJECT (result), "key");

  texture = g_task_propagate_pointer (G_TASK (result), &error);
  if (texture == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Cannot load an avatar: %s", error->message);
      return;
    }
  texture_cache_insert (key, texture);
  g_set_object (&self->texture, texture);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* Show the texture of the icon: from the shared table, else decode it
 * (only when mapped: rows scrolled past never decode anything). */
static void
update_texture (MessengerAvatarImage *self)
{
  g_autofree char *key = NULL;
  GdkTexture *cached;
  GTask *task;
  int pixels;

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);

  if (self->icon == NULL || !G_IS_LOADABLE_ICON (self->icon))
    {
      if (self->texture != NULL)
        {
          g_clear_object (&self->texture);
          gtk_widget_queue_draw (GTK_WIDGET (self));
        }
      return;
    }

  pixels = texture_pixels (self);
  key = texture_key (self->icon, pixels);
  cached = texture_cache_lookup (key);
  if (cached != NULL)
    {
      if (g_set_object (&self->texture, cached))
        gtk_widget_queue_draw (GTK_WIDGET (self));
      return;
    }
  /* Initials until the picture is ready. */
  if (self->texture != NULL)
    {
      g_clear_object (&self->texture);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, loaded_cb, NULL);
  g_task_set_source_tag (task, update_texture);
  g_task_set_task_data (task, g_object_ref (self->icon), g_object_unref);
  g_object_set_data (G_OBJECT (task), "pixels", GINT_TO_POINTER (pixels));
  g_object_set_data_full (G_OBJECT (task), "key", g_steal_pointer (&key), g_free);
  g_task_run_in_thread (task, load_thread);
  g_object_unref (task);
}

void
messenger_avatar_image_set_icon (MessengerAvatarImage *self,
                                 GIcon                *icon)
{
  g_return_if_fail (MESSENGER_IS_AVATAR_IMAGE (self));
  g_return_if_fail (icon == NULL || G_IS_ICON (icon));

  if (self->icon == icon || (self->icon != NULL && icon != NULL && g_icon_equal (self->icon, icon)))
    return;
  g_set_object (&self->icon, icon);
  update_texture (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ICON]);
}

static void
messenger_avatar_image_map (GtkWidget *widget)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (widget);

  GTK_WIDGET_CLASS (messenger_avatar_image_parent_class)->map (widget);
  if (self->icon != NULL && self->texture == NULL)
    update_texture (self);
}

static void
messenger_avatar_image_measure (GtkWidget      *widget,
                                GtkOrientation  orientation,
                                int             for_size,
                                int            *minimum,
                                int            *natural,
                                int            *minimum_baseline,
                                int            *natural_baseline)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (widget);

  *minimum = *natural = self->size;
}

static PangoLayout *
ensure_layout (MessengerAvatarImage *self)
{
  g_autoptr(PangoFontDescription) font = NULL;

  if (self->layout != NULL)
    return self->layout;

  self->layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->initials);
  font = pango_font_description_new ();
  pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_font_description_set_absolute_size (font, self->size * 0.4 * PANGO_SCALE);
  pango_layout_set_font_description (self->layout, font);
  return self->layout;
}

static void
messenger_avatar_image_snapshot (GtkWidget   *widget,
                                 GtkSnapshot *snapshot)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  int size = MIN (width, height);
  graphene_rect_t bounds = GRAPHENE_RECT_INIT ((width - size) / 2.f, (height - size) / 2.f, size, size);
  GskRoundedRect circle;

  gsk_rounded_rect_init_from_rect (&circle, &bounds, size / 2.f);
  gtk_snapshot_push_rounded_clip (snapshot, &circle);

  if (self->texture != NULL)
    gtk_snapshot_append_texture (snapshot, self->texture, &bounds);
  else
    {
      /* Neutral grey when there is no colour: readable in light and dark. */
      GdkRGBA background = self->has_color ? self->color : (GdkRGBA) { 0.55, 0.55, 0.58, 1.0 };
      GdkRGBA white = { 1.0, 1.0, 1.0, 1.0 };

      gtk_snapshot_append_color (snapshot, &background, &bounds);
      if (self->initials != NULL && *self->initials != '\0')
        {
          PangoLayout *layout = ensure_layout (self);
          PangoRectangle ink, logical;

          pango_layout_get_pixel_extents (layout, &ink, &logical);
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot,
                                  &GRAPHENE_POINT_INIT (bounds.origin.x + (size - logical.width) / 2.f,
                                                        bounds.origin.y + (size - ink.height) / 2.f - ink.y));
          gtk_snapshot_append_layout (snapshot, layout, &white);
          gtk_snapshot_restore (snapshot);
        }
    }
  gtk_snapshot_pop (snapshot);
}

static void
messenger_avatar_image_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      g_value_set_int (value, self->size);
      break;
    case PROP_COLOR:
      g_value_take_string (value, self->has_color ? gdk_rgba_to_string (&self->color) : NULL);
      break;
    case PROP_INITIALS:
      g_value_set_string (value, self->initials);
      break;
    case PROP_ICON:
      g_value_set_object (value, self->icon);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_avatar_image_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      messenger_avatar_image_set_size (self, g_value_get_int (value));
      break;
    case PROP_COLOR:
      messenger_avatar_image_set_color (self, g_value_get_string (value));
      break;
    case PROP_INITIALS:
      messenger_avatar_image_set_initials (self, g_value_get_string (value));
      break;
    case PROP_ICON:
      messenger_avatar_image_set_icon (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_avatar_image_dispose (GObject *object)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->texture);
  g_clear_object (&self->icon);
  g_clear_object (&self->layout);

  G_OBJECT_CLASS (messenger_avatar_image_parent_class)->dispose (object);
}

static void
messenger_avatar_image_finalize (GObject *object)
{
  MessengerAvatarImage *self = MESSENGER_AVATAR_IMAGE (object);

  g_free (self->initials);

  G_OBJECT_CLASS (messenger_avatar_image_parent_class)->finalize (object);
}

static void
messenger_avatar_image_class_init (MessengerAvatarImageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_avatar_image_get_property;
  object_class->set_property = messenger_avatar_image_set_property;
  object_class->dispose = messenger_avatar_image_dispose;
  object_class->finalize = messenger_avatar_image_finalize;

  widget_class->measure = messenger_avatar_image_measure;
  widget_class->snapshot = messenger_avatar_image_snapshot;
  widget_class->map = messenger_avatar_image_map;

  properties[PROP_SIZE] =
    g_param_spec_int ("size", NULL, NULL, 1, G_MAXINT, 32,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR] =
    g_param_spec_string ("color", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_INITIALS] =
    g_param_spec_string ("initials", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ICON] =
    g_param_spec_object ("icon", NULL, NULL, G_TYPE_ICON,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "avatar-image");
  /* Decoration: the row around it says who it is. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PRESENTATION);
}

static void
messenger_avatar_image_init (MessengerAvatarImage *self)
{
  self->size = 32;
}
