/* messenger-group-row.h: a roster group heading (name, online/total) */
#pragma once

#include <adwaita.h>

#include "messenger-group.h"

G_BEGIN_DECLS

#define MESSENGER_TYPE_GROUP_ROW (messenger_group_row_get_type ())
G_DECLARE_FINAL_TYPE (MessengerGroupRow, messenger_group_row, MESSENGER, GROUP_ROW, GtkWidget)

GtkWidget      *messenger_group_row_new       (void);
/* Property "group" (nullable). */
MessengerGroup *messenger_group_row_get_group (MessengerGroupRow *self);
void            messenger_group_row_set_group (MessengerGroupRow *self,
                                               MessengerGroup    *group);

G_END_DECLS
