/* messenger-message-row.c: one message in the conversation's list
 *
 * The row is recycled by the list view: set_message() swaps the message
 * and the list view's factory tells it, from the message before it, whether
 * to show the day, the sender and the unread marker.  Only the delivery
 * state changes while a message is shown, so that is the one property the
 * row follows.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "messenger-message-row.h"

struct _MessengerMessageRow
{
  GtkWidget         parent_instance;

  /* template widgets, laid out by the row */
  GtkLabel         *day_label;
  GtkWidget        *unread_marker;
  GtkLabel         *sender_label;
  GtkWidget        *bubble;
  GtkLabel         *subject_label;
  GtkLabel         *body_label;
  GtkLabel         *time_label;
  GtkImage         *state_image;
  GtkWidget        *failed_box;
  GtkWidget        *retry_button;

  /* owned */
  MessengerMessage *message;
  GSignalGroup     *message_signals;

  gboolean          show_day;
  gboolean          show_sender;
  gboolean          show_unread_marker;

  /* The day label's text is for this message and this today. */
  gboolean          day_label_valid;
  gint64            day_label_today;
};

G_DEFINE_FINAL_TYPE (MessengerMessageRow, messenger_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_MESSAGE,
  N_PROPS
};

enum {
  SIGNAL_RETRY,
  N_SIGNALS
};

/* The minimum width of a long message's text, in characters. */
#define BODY_MIN_CHARS 20

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GtkWidget *
messenger_message_row_new (void)
{
  return g_object_new (MESSENGER_TYPE_MESSAGE_ROW, NULL);
}

/* Texts */

char *
messenger_message_row_format_day (GDateTime *day,
                                  GDateTime *now)
{
  g_autoptr(GDate) date = NULL;
  g_autoptr(GDate) today = NULL;
  int days;

  g_return_val_if_fail (day != NULL, NULL);
  g_return_val_if_fail (now != NULL, NULL);

  date = g_date_new_dmy (g_date_time_get_day_of_month (day),
                         g_date_time_get_month (day),
                         g_date_time_get_year (day));
  today = g_date_new_dmy (g_date_time_get_day_of_month (now),
                          g_date_time_get_month (now),
                          g_date_time_get_year (now));
  days = g_date_days_between (date, today);

  if (days == 0)
    return g_strdup (_("Today"));
  if (days == 1)
    return g_strdup (_("Yesterday"));
  if (days > 1 && days < 7)
    /* xgettext:no-c-format */
    /* Translators: a day separator in a conversation for a day of the past
     * week: the weekday's name.  A strftime()-like format, see
     * g_date_time_format(). */
    return g_date_time_format (day, _("%A"));
  if (g_date_time_get_year (day) == g_date_time_get_year (now))
    /* Translators: a day separator in a conversation for a day of this
     * year, e.g. "March 7".  See g_date_time_format(). */
    return g_date_time_format (day, _("%B %-d"));
  /* Translators: a day separator in a conversation for a day of another
   * year, e.g. "March 7, 2024".  See g_date_time_format(). */
  return g_date_time_format (day, _("%B %-d, %Y"));
}

const char *
messenger_message_row_describe_state (MessengerDeliveryState state)
{
  switch (state)
    {
    case MESSENGER_DELIVERY_PENDING:
      /* Translators: the delivery state of one's message. */
      return _("Sending");
    case MESSENGER_DELIVERY_SENT:
    case MESSENGER_DELIVERY_ACKED:
      /* Translators: the delivery state of one's message: the server has it. */
      return _("Sent");
    case MESSENGER_DELIVERY_DELIVERED:
      /* Translators: the delivery state of one's message: the recipient has it. */
      return _("Delivered");
    case MESSENGER_DELIVERY_FAILED:
      /* Translators: the delivery state of one's message. */
      return _("Not sent");
    default:
      return "";
    }
}

static const char *
state_icon_name (MessengerDeliveryState state)
{
  switch (state)
    {
    case MESSENGER_DELIVERY_PENDING:
      return "messenger-message-pending-symbolic";
    case MESSENGER_DELIVERY_SENT:
    case MESSENGER_DELIVERY_ACKED:
      return "messenger-message-sent-symbolic";
    case MESSENGER_DELIVERY_DELIVERED:
      return "messenger-message-delivered-symbolic";
    case MESSENGER_DELIVERY_FAILED:
      return "dialog-warning-symbolic";
    default:
      return NULL;
    }
}

static GRegex *
link_regex (void)
{
  static GRegex *regex;

  if (g_once_init_enter (&regex))
    {
      /* Schemes people paste in chats, and bare "www." addresses. */
      GRegex *compiled = g_regex_new ("(?:\\b(?:https?|ftp)://|\\bwww\\.|\\b(?:mailto|xmpp|tel|geo):)"
                                      "[^\\s<>\"]+",
                                      G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&regex, compiled);
    }
  return regex;
}

/* The end of a link without the punctuation that ends the sentence around
 * it, and without a closing bracket that it did not open. */
static gssize
trim_link_end (const char *start,
               gssize      length)
{
  while (length > 0)
    {
      char last = start[length - 1];

      if (strchr (".,;:!?'*", last) != NULL)
        length--;
      else if (last == ')' && memchr (start, '(', length) == NULL)
        length--;
      else
        break;
    }
  return length;
}

char *
messenger_message_row_markup_links (const char *text)
{
  g_autoptr(GMatchInfo) match = NULL;
  GString *markup;
  const char *done;

  g_return_val_if_fail (text != NULL, NULL);

  markup = g_string_new (NULL);
  done = text;
  g_regex_match (link_regex (), text, 0, &match);
  while (g_match_info_matches (match))
    {
      int start, end;
      gssize length;

      g_match_info_fetch_pos (match, 0, &start, &end);
      length = trim_link_end (text + start, end - start);
      if (text + start >= done && length > 0)
        {
          g_autofree char *before = g_markup_escape_text (done, text + start - done);
          g_autofree char *link = g_strndup (text + start, length);
          g_autofree char *href = g_ascii_strncasecmp (link, "www.", 4) == 0
                                  ? g_strconcat ("https://", link, NULL) : g_strdup (link);
          g_autofree char *escaped_href = g_markup_escape_text (href, -1);
          g_autofree char *escaped_link = g_markup_escape_text (link, -1);

          g_string_append (markup, before);
          g_string_append_printf (markup, "<a href=\"%s\">%s</a>", escaped_href, escaped_link);
          done = text + start + length;
        }
      g_match_info_next (match, NULL);
    }
  {
    g_autofree char *rest = g_markup_escape_text (done, -1);

    g_string_append (markup, rest);
  }
  return g_string_free (markup, FALSE);
}

/* Showing */

static void
update_state (MessengerMessageRow *self)
{
  MessengerDeliveryState state;
  const char *description;

  if (self->message == NULL || !messenger_message_get_outgoing (self->message))
    {
      gtk_widget_set_visible (GTK_WIDGET (self->state_image), FALSE);
      gtk_widget_set_visible (self->failed_box, FALSE);
      return;
    }

  state = messenger_message_get_state (self->message);
  description = messenger_message_row_describe_state (state);
  gtk_image_set_from_icon_name (self->state_image, state_icon_name (state));
  /* Its tooltip is made when asked for (query_state_tooltip_cb): setting
   * one at every bind costs a round trip to the display server. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_image),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                  -1);
  gtk_widget_set_visible (GTK_WIDGET (self->state_image), TRUE);
  gtk_widget_set_visible (self->failed_box, state == MESSENGER_DELIVERY_FAILED);
  /* Set when first needed, like the others: setting a tooltip asks the
   * display server where the pointer is, and a row is made for every
   * message of a flood. */
  if (state == MESSENGER_DELIVERY_FAILED && !gtk_widget_get_has_tooltip (self->retry_button))
    gtk_widget_set_tooltip_text (self->retry_button, _("Send this message again"));
  if (state == MESSENGER_DELIVERY_FAILED)
    gtk_widget_add_css_class (self->bubble, "failed");
  else
    gtk_widget_remove_css_class (self->bubble, "failed");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message-row.retry",
                                 state == MESSENGER_DELIVERY_FAILED);
}

static void
update_decorations (MessengerMessageRow *self)
{
  gboolean outgoing = self->message != NULL && messenger_message_get_outgoing (self->message);

  gtk_widget_set_visible (GTK_WIDGET (self->day_label), self->show_day);
  gtk_widget_set_visible (self->unread_marker, self->show_unread_marker);
  /* In a conversation with one person, one's own bubbles need no name. */
  gtk_widget_set_visible (GTK_WIDGET (self->sender_label), self->show_sender && !outgoing);
  if (self->show_sender)
    gtk_widget_add_css_class (GTK_WIDGET (self), "group-start");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "group-start");
}

static void
update_day (MessengerMessageRow *self)
{
  g_autoptr(GDateTime) time = NULL;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GTimeZone) zone = NULL;
  g_autofree char *day = NULL;
  gint64 today;

  if (self->message == NULL || !self->show_day)
    return;
  /* The text only changes with the message or with today. */
  today = messenger_local_day_now ();
  if (self->day_label_valid && self->day_label_today == today)
    return;
  zone = messenger_dup_local_time_zone ();
  time = messenger_message_dup_date_time (self->message);
  now = g_date_time_new_now (zone);
  day = messenger_message_row_format_day (time, now);
  gtk_label_set_label (self->day_label, day);
  self->day_label_valid = TRUE;
  self->day_label_today = today;
}

static gboolean
query_time_tooltip_cb (MessengerMessageRow *self,
                       int                  x,
                       int                  y,
                       gboolean             keyboard_mode,
                       GtkTooltip          *tooltip)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *full = NULL;

  if (self->message == NULL)
    return FALSE;
  time = messenger_message_dup_date_time (self->message);
  if (time == NULL)
    return FALSE;
  /* Translators: the date and time of a message, in its tooltip.  See
   * g_date_time_format(). */
  full = g_date_time_format (time, _("%A, %B %-d, %Y %H:%M"));
  gtk_tooltip_set_text (tooltip, full);
  return TRUE;
}

static gboolean
query_state_tooltip_cb (MessengerMessageRow *self,
                        int                  x,
                        int                  y,
                        gboolean             keyboard_mode,
                        GtkTooltip          *tooltip)
{
  if (self->message == NULL || !messenger_message_get_outgoing (self->message))
    return FALSE;
  gtk_tooltip_set_text (tooltip,
                        messenger_message_row_describe_state (messenger_message_get_state (self->message)));
  return TRUE;
}

static void
update_message (MessengerMessageRow *self)
{
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *markup = NULL;
  g_autofree char *clock = NULL;
  const char *body, *subject;
  gboolean outgoing;

  if (self->message == NULL)
    {
      gtk_label_set_label (self->body_label, "");
      gtk_label_set_label (self->time_label, "");
      update_state (self);
      return;
    }

  outgoing = messenger_message_get_outgoing (self->message);
  body = messenger_message_get_body (self->message);
  subject = messenger_message_get_subject (self->message);

  gtk_label_set_label (self->sender_label, messenger_message_get_sender_name (self->message));

  gtk_widget_set_visible (GTK_WIDGET (self->subject_label), subject != NULL && *subject != '\0');
  gtk_label_set_label (self->subject_label, subject != NULL ? subject : "");

  markup = messenger_message_row_markup_links (body != NULL ? body : "");
  gtk_label_set_markup (self->body_label, markup);
  /* GTK 4.8 finds a wrapping label's minimum width by laying its text out
   * one word per line, which costs time growing with the square of its
   * length: 2.5 ms for 160 characters, 40 ms for a screenful of rows in a
   * flood.  A long text gets a minimum width of some characters instead,
   * which its natural width is well above anyway. */
  gtk_label_set_width_chars (self->body_label,
                             body != NULL && g_utf8_strlen (body, -1) >= 2 * BODY_MIN_CHARS
                             ? BODY_MIN_CHARS : -1);
  gtk_widget_set_visible (GTK_WIDGET (self->body_label), body != NULL && *body != '\0');
  /* Bubbles say who wrote them by their side; a screen reader says it. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->body_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  messenger_message_get_sender_name (self->message),
                                  -1);

  time = messenger_message_dup_date_time (self->message);
  /* Translators: the time of a message.  A g_date_time_format() format:
   * use "%l:%M %p" for a 12-hour clock. */
  clock = g_date_time_format (time, _("%H:%M"));
  /* The full date is the tooltip's, made when asked for
   * (query_time_tooltip_cb). */
  gtk_label_set_label (self->time_label, clock);

  /* Its side of the row: messenger_message_row_size_allocate(). */
  if (outgoing)
    {
      gtk_widget_add_css_class (self->bubble, "outgoing");
      gtk_widget_remove_css_class (self->bubble, "incoming");
      gtk_widget_add_css_class (GTK_WIDGET (self), "outgoing");
    }
  else
    {
      gtk_widget_add_css_class (self->bubble, "incoming");
      gtk_widget_remove_css_class (self->bubble, "outgoing");
      gtk_widget_remove_css_class (GTK_WIDGET (self), "outgoing");
    }
  gtk_widget_queue_allocate (GTK_WIDGET (self));

  update_day (self);
  update_decorations (self);
  update_state (self);
}

static void
state_changed_cb (MessengerMessageRow *self)
{
  update_state (self);
}

MessengerMessage *
messenger_message_row_get_message (MessengerMessageRow *self)
{
  g_return_val_if_fail (MESSENGER_IS_MESSAGE_ROW (self), NULL);
  return self->message;
}

void
messenger_message_row_set_message (MessengerMessageRow *self,
                                   MessengerMessage    *message)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_ROW (self));
  g_return_if_fail (message == NULL || MESSENGER_IS_MESSAGE (message));

  if (!g_set_object (&self->message, message))
    return;
  self->day_label_valid = FALSE;
  g_signal_group_set_target (self->message_signals, message);
  update_message (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MESSAGE]);
}

void
messenger_message_row_set_show_day (MessengerMessageRow *self,
                                    gboolean             show_day)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_ROW (self));

  show_day = !!show_day;
  if (self->show_day == show_day)
    return;
  self->show_day = show_day;
  update_day (self);
  update_decorations (self);
}

void
messenger_message_row_set_show_sender (MessengerMessageRow *self,
                                       gboolean             show_sender)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_ROW (self));

  show_sender = !!show_sender;
  if (self->show_sender == show_sender)
    return;
  self->show_sender = show_sender;
  update_decorations (self);
}

void
messenger_message_row_set_show_unread_marker (MessengerMessageRow *self,
                                              gboolean             show_marker)
{
  g_return_if_fail (MESSENGER_IS_MESSAGE_ROW (self));

  show_marker = !!show_marker;
  if (self->show_unread_marker == show_marker)
    return;
  self->show_unread_marker = show_marker;
  update_decorations (self);
}

static void
retry_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  MessengerMessageRow *self = MESSENGER_MESSAGE_ROW (widget);

  if (self->message != NULL && messenger_message_get_state (self->message) == MESSENGER_DELIVERY_FAILED)
    g_signal_emit (self, signals[SIGNAL_RETRY], 0);
}

static void
messenger_message_row_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  MessengerMessageRow *self = MESSENGER_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
messenger_message_row_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  MessengerMessageRow *self = MESSENGER_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_MESSAGE:
      messenger_message_row_set_message (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

/* Layout
 *
 * The children stand one under the other, as in a vertical box, except
 * that the bubble is as wide as its text (up to the row's width) and stands
 * at the start of the row, or at its end for one's own messages.  A box
 * with an aligned bubble would do the same, but GTK 4.8 then measures the
 * bubble's text at the row's width and again at its own: two more layouts
 * of the text per row, a third of a flood's frame. */

static GtkSizeRequestMode
messenger_message_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

/* The bubble's width in a row WIDTH wide. */
static int
bubble_width (MessengerMessageRow *self,
              int                  width)
{
  int minimum, natural;

  gtk_widget_measure (self->bubble, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
  return MAX (minimum, MIN (natural, width));
}

static void
messenger_message_row_measure (GtkWidget      *widget,
                               GtkOrientation  orientation,
                               int             for_size,
                               int            *minimum,
                               int            *natural,
                               int            *minimum_baseline,
                               int            *natural_baseline)
{
  MessengerMessageRow *self = MESSENGER_MESSAGE_ROW (widget);

  *minimum = *natural = 0;
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int child_minimum, child_natural;

      if (!gtk_widget_should_layout (child))
        continue;
      if (orientation == GTK_ORIENTATION_HORIZONTAL)
        {
          gtk_widget_measure (child, orientation, -1, &child_minimum, &child_natural, NULL, NULL);
          *minimum = MAX (*minimum, child_minimum);
          *natural = MAX (*natural, child_natural);
        }
      else
        {
          int width = for_size;

          if (child == self->bubble && for_size >= 0)
            width = bubble_width (self, for_size);
          gtk_widget_measure (child, orientation, width, &child_minimum, &child_natural, NULL, NULL);
          *minimum += child_minimum;
          *natural += child_natural;
        }
    }
}

static void
messenger_message_row_size_allocate (GtkWidget *widget,
                                     int        width,
                                     int        height,
                                     int        baseline)
{
  MessengerMessageRow *self = MESSENGER_MESSAGE_ROW (widget);
  gboolean outgoing = self->message != NULL && messenger_message_get_outgoing (self->message);
  gboolean at_end = outgoing != (gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL);
  int y = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkAllocation allocation = { 0, y, width, 0 };
      int child_height;

      if (!gtk_widget_should_layout (child))
        continue;
      if (child == self->bubble)
        {
          allocation.width = bubble_width (self, width);
          if (at_end)
            allocation.x = width - allocation.width;
        }
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, allocation.width, NULL, &child_height, NULL, NULL);
      allocation.height = child_height;
      gtk_widget_size_allocate (child, &allocation, -1);
      y += child_height;
    }
}

static void
messenger_message_row_dispose (GObject *object)
{
  MessengerMessageRow *self = MESSENGER_MESSAGE_ROW (object);
  GtkWidget *child;

  if (self->message_signals != NULL)
    g_signal_group_set_target (self->message_signals, NULL);
  g_clear_object (&self->message_signals);
  g_clear_object (&self->message);
  gtk_widget_dispose_template (GTK_WIDGET (self), MESSENGER_TYPE_MESSAGE_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (messenger_message_row_parent_class)->dispose (object);
}

static void
messenger_message_row_class_init (MessengerMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = messenger_message_row_get_property;
  object_class->set_property = messenger_message_row_set_property;
  object_class->dispose = messenger_message_row_dispose;

  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, MESSENGER_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RETRY] =
    g_signal_new ("retry", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/example/Messenger/messenger-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, unread_marker);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, sender_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, bubble);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, subject_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, body_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, state_image);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, failed_box);
  gtk_widget_class_bind_template_child (widget_class, MessengerMessageRow, retry_button);

  gtk_widget_class_install_action (widget_class, "message-row.retry", NULL, retry_action);

  widget_class->get_request_mode = messenger_message_row_get_request_mode;
  widget_class->measure = messenger_message_row_measure;
  widget_class->size_allocate = messenger_message_row_size_allocate;
  gtk_widget_class_set_css_name (widget_class, "messagerow");
}

static void
messenger_message_row_init (MessengerMessageRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->message_signals = g_signal_group_new (MESSENGER_TYPE_MESSAGE);
  g_signal_group_connect_swapped (self->message_signals, "notify::state",
                                  G_CALLBACK (state_changed_cb), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "message-row.retry", FALSE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->time_label), TRUE);
  g_signal_connect_object (self->time_label, "query-tooltip",
                           G_CALLBACK (query_time_tooltip_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self->state_image), TRUE);
  g_signal_connect_object (self->state_image, "query-tooltip",
                           G_CALLBACK (query_state_tooltip_cb), self, G_CONNECT_SWAPPED);
}
