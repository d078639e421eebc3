/* widget-util.h: helpers of the widget tests (test-conversation-view.c,
 * test-sidebar.c): letting a window draw, and finding widgets by what a
 * person or a screen reader sees. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Runs the main loop for @ms: the window lays out and draws. */
void       run_frames           (guint          ms);
/* The first widget under @root (itself included) that @match accepts. */
GtkWidget *find_widget          (GtkWidget     *root,
                                 gboolean     (*match) (GtkWidget *, gconstpointer),
                                 gconstpointer  data);
/* Matchers for find_widget(): a drawn GtkLabel showing @text; a drawn
 * widget whose accessible label is @label. */
gboolean   is_visible_label     (GtkWidget     *widget,
                                 gconstpointer  text);
gboolean   has_accessible_label (GtkWidget     *widget,
                                 gconstpointer  label);

G_END_DECLS
