/* model-checker.h: checks every items-changed of a GListModel
 *
 * A ModelChecker keeps a shadow copy of a model's items.  At each
 * items-changed (position, removed, added) it checks the change fits the
 * shadow, applies it (taking the added items from the model), and asserts
 * that the shadow now equals the model item for item (same objects), that
 * n-items agrees, and that the change was not empty.  When the model has
 * an "n-items" property, a change of length must be followed by its
 * notification before the next change (or before the check ends).
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct _ModelChecker ModelChecker;

ModelChecker *model_checker_new              (GListModel   *model);
/* Checks once more, disconnects and frees. */
void          model_checker_free             (ModelChecker *checker);
/* Compares the shadow with the model now. */
void          model_checker_check            (ModelChecker *checker);
/* items-changed emissions seen so far, and the totals they carried. */
guint         model_checker_get_n_changes    (ModelChecker *checker);
guint         model_checker_get_n_removed    (ModelChecker *checker);
guint         model_checker_get_n_added      (ModelChecker *checker);
void          model_checker_reset_counts     (ModelChecker *checker);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ModelChecker, model_checker_free)

G_END_DECLS
