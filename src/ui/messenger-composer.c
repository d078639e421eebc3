/* messenger-composer.c: where a message is written
 *
 *   key Enter ─▶ (input method first) ─▶ send() ─▶ conversation_send_full()
 *                                                  (with the subject, if one is set)
 *   buffer changed ─▶ composing (TRUE while there is text) ─▶ conversation
 *   conversation switched ─▶ draft saved on the old one, loaded from the new
 *
 * Drafts live on the conversation object (object data), so they last as
 * long as the conversation does, i.e. the app run, and need no bookkeeping
 * here.  A subject is the topic of a thread just started: it goes with the
 * next message only, and is dropped with the conversation.
 */
#include "config.h"

#include <glib/gi18n.h>

#include "messenger-composer.h"

#define DRAFT_KEY "messenger-composer-draft"

struct _MessengerComposer
{
  GtkWidget              parent_instance;

  /* template widgets */
  GtkWidget             *box;
  GtkLabel              *reply_label;
  GtkScrolledWindow     *scrolled_window;
  GtkTextView           *text_view;
  GtkWidget             *placeholder_label;
  GtkWidget             *send_button;

  /* owned */
  MessengerConversation *conversation;
  char                  *thread_id;
  char                  *subject;

  /* Set while the text is changed by us, not by the person. */
  gboolean               loading;
};

G_DEFINE_FINAL_TYPE (MessengerComposer, messenger_composer, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONVERSATION,
  PROP_THREAD_ID,
  PROP_SUBJECT,
  N_PROPS
};

enum {
  SIGNAL_SENT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
messenger_composer_new (void)
{
  return g_object_new (MESSENGER_TYPE_COMPOSER, NULL);
}

/* Tell the conversation whether the person is writing (XEP-0085 chat
 * states; the conversation decides what to send and when to pause). */
static void
set_composing (MessengerComposer *self,
               gboolean           composing)
{
  if (self->conversation == NULL)
    return;
  messenger_conversation_set_composing (self->conversation, composing);
}

static GtkTextBuffer *
get_buffer (MessengerComposer *self)
{
  return gtk_text_view_get_buffer (self->text_view);
}

char *
messenger_composer_dup_text (MessengerComposer *self)
{
  GtkTextIter start, end;

  g_return_val_if_fail (MESSENGER_IS_COMPOSER (self), NULL);

  gtk_text_buffer_get_bounds (get_buffer (self), &start, &end);
  return gtk_text_buffer_get_text (get_buffer (self), &start, &end, FALSE);
}

static gboolean
has_text (MessengerComposer *self)
{
  g_autofree char *text = messenger_composer_dup_text (self);

  return *g_strstrip (text) != '\0';
}

static void
update_actions (MessengerComposer *self)
{
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 self->conversation != NULL && has_text (self));
}

static void
set_text_quietly (MessengerComposer *self,
                  const char        *text)
{
  self->loading = TRUE;
  gtk_text_buffer_set_text (get_buffer (self), text != NULL ? text : "", -1);
  self->loading = FALSE;
}

void
messenger_composer_set_text (MessengerComposer *self,
                             const char        *text)
{
  g_return_if_fail (MESSENGER_IS_COMPOSER (self));
  gtk_text_buffer_set_text (get_buffer (self), text != NULL ? text : "", -1);
}

static void
buffer_changed_cb (MessengerComposer *self)
{
  gboolean text = gtk_text_buffer_get_char_count (get_buffer (self)) > 0;

  gtk_widget_set_visible (self->placeholder_label, !text);
  update_actions (self);
  if (!self->loading)
    set_composing (self, has_text (self));
}

gboolean
messenger_composer_send (MessengerComposer *self)
{
  g_autofree char *text = NULL;
  g_autofree char *origin_id = NULL;

  g_return_val_if_fail (MESSENGER_IS_COMPOSER (self), FALSE);

  if (self->conversation == NULL)
    return FALSE;
  text = messenger_composer_dup_text (self);
  /* Blank lines and spaces around a message are an accident of typing. */
  g_strstrip (text);
  if (*text == '\0')
    return FALSE;

  origin_id = messenger_conversation_send_full (self->conversation, text, self->subject, self->thread_id);
  /* A message carries <active/> itself: no separate "stopped typing". */
  set_text_quietly (self, NULL);
  /* The subject named the thread; its next messages need none. */
  messenger_composer_set_subject (self, NULL);
  return TRUE;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  MessengerComposer *self = MESSENGER_COMPOSER (widget);

  if (messenger_composer_send (self))
    g_signal_emit (self, signals[SIGNAL_SENT], 0);
}

static gboolean
key_pressed_cb (MessengerComposer     *self,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                GtkEventControllerKey *controller)
{
  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;
  /* Shift+Enter: a new line, done by the text view itself. */
  if (state & GDK_SHIFT_MASK)
    return GDK_EVENT_PROPAGATE;
  /* An input method (e.g. Pinyin) may use Enter to commit what is being
   * composed: that Enter is its own, not a "send". */
  if (gtk_text_view_im_context_filter_keypress (self->text_view,
                                                gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller))))
    return GDK_EVENT_STOP;

  send_action (GTK_WIDGET (self), "composer.send", NULL);
  return GDK_EVENT_STOP;
}

/* Conversation and thread */

static void
save_draft (MessengerComposer *self)
{
  g_autofree char *text = NULL;

  if (self->conversation == NULL)
    return;
  text = messenger_composer_dup_text (self);
  if (*text != '\0')
    g_object_set_data_full (G_OBJECT (self->conversation), DRAFT_KEY, g_steal_pointer (&text), g_free);
  else
    g_object_set_data (G_OBJECT (self->conversation), DRAFT_KEY, NULL);
}

MessengerConversation *
messenger_composer_get_conversation (MessengerComposer *self)
{
  g_return_val_if_fail (MESSENGER_IS_COMPOSER (self), NULL);
  return self->conversation;
}

void
messenger_composer_set_conversation (MessengerComposer     *self,
                                     MessengerConversation *conversation)
{
  g_return_if_fail (MESSENGER_IS_COMPOSER (self));
  g_return_if_fail (conversation == NULL || MESSENGER_IS_CONVERSATION (conversation));

  if (self->conversation == conversation)
    return;

  if (self->conversation != NULL)
    {
      save_draft (self);
      /* The person left this conversation: no longer writing there. */
      if (has_text (self))
        set_composing (self, FALSE);
    }
  g_set_object (&self->conversation, conversation);
  messenger_composer_set_subject (self, NULL);
  set_text_quietly (self, conversation != NULL ? g_object_get_data (G_OBJECT (conversation), DRAFT_KEY) : NULL);
  update_actions (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONVERSATION]);
}

const char *
messenger_composer_get_thread_id (MessengerComposer *self)
{
  g_return_val_if_fail (MESSENGER_IS_COMPOSER (self), NULL);
  return self->thread_id;
}

void
messenger_composer_set_thread_id (MessengerComposer *self,
                                  const char        *thread_id)
{
  g_return_if_fail (MESSENGER_IS_COMPOSER (self));

  if (g_strcmp0 (self->thread_id, thread_id) == 0)
    return;
  g_free (self->thread_id);
  self->thread_id = g_strdup (thread_id);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_THREAD_ID]);
}

const char *
messenger_composer_get_subject (MessengerComposer *self)
{
  g_return_val_if_fail (MESSENGER_IS_COMPOSER (self), NULL);
  return self->subject;
}

void
messenger_composer_set_subject (MessengerComposer *self,
                                const char        *subject)
{
  g_return_if_fail (MESSENGER_IS_COMPOSER (self));

  if (subject != NULL && *subject == '\0')
    subject = NULL;
  if (g_strcmp0 (self->subject, subject) == 0)
    return;
  g_free (self->subject);
  self->subject = g_strdup (subject);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SUBJECT]);
}

void
messenger_composer_set_reply_title (MessengerComposer *self,
                                    const char        *title)
{
  g_autofree char *text = NULL;

  g_return_if_fail (MESSENGER_IS_COMPOSER (self));

  gtk_widget_set_visible (GTK_WIDGET (self->reply_label), title != NULL);
  if (title == NULL)
    return;
  /* Translators: above the message being written: the thread it goes to. */
  text = g_strdup_printf (_("Replying in: %s"), title);
  gtk_label_set_label (self->reply_label, text);
}

void
messenger_composer_focus (MessengerComposer *self)
{
  g_return_if_fail (MESSENGER_IS_COMPOSER (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static gboolean
messenger_composer_grab_focus (GtkWidget *widget)
{
  return gtk_widget_grab_focus (GTK_WIDGET (MESSENGER_COMPOSER (widget)->text_view));
}

static void
messenger_composer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MessengerComposer *self = MESSENGER_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      g_value_set_object (value, self->conversation);
      break;
    case PROP_THREAD_ID:
      g_value_set_string (value, self->thread_id);
      break;
    case PROP_SUBJECT:
      g_value_set_string (value, self->subject);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_composer_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MessengerComposer *self = MESSENGER_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_CONVERSATION:
      messenger_composer_set_conversation (self, g_value_get_object (value));
      break;
    case PROP_THREAD_ID:
      messenger_composer_set_thread_id (self, g_value_get_string (value));
      break;
    case PROP_SUBJECT:
      messenger_composer_set_subject (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_composer_dispose (GObject *object)
{
  MessengerComposer *self = MESSENGER_COMPOSER (object);

  if (self->conversation != NULL)
    {
      save_draft (self);
      g_clear_object (&self->conversation);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_COMPOSER);

  G_OBJECT_CLASS (messenger_composer_parent_class)->dispose (object);
}

static void
messenger_composer_finalize (GObject *object)
{
  MessengerComposer *self = MESSENGER_COMPOSER (object);

  g_free (self->thread_id);
  g_free (self->subject);

  G_OBJECT_CLASS (messenger_composer_parent_class)->finalize (object);
}

static void
messenger_composer_class_init (MessengerComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_composer_get_property;
  object_class->set_property = messenger_composer_set_property;
  object_class->dispose = messenger_composer_dispose;
  object_class->finalize = messenger_composer_finalize;
  widget_class->grab_focus = messenger_composer_grab_focus;

  properties[PROP_CONVERSATION] =
    g_param_spec_object ("conversation", NULL, NULL, MESSENGER_TYPE_CONVERSATION,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_THREAD_ID] =
    g_param_spec_string ("thread-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SUBJECT] =
    g_param_spec_string ("subject", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_SENT] =
    g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerComposer, box);
  gtk_widget_class_bind_template_child (widget_class, MessengerComposer, reply_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerComposer, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, MessengerComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, MessengerComposer, placeholder_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerComposer, send_button);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "composer");
}

static void
messenger_composer_init (MessengerComposer *self)
{
  GtkEventController *controller;

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_object (get_buffer (self), "changed", G_CALLBACK (buffer_changed_cb), self,
                           G_CONNECT_SWAPPED);

  /* Capture: before the text view turns Enter into a new line. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_object (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), controller);

  update_actions (self);
}
