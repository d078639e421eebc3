/* model-checker.c: checks every items-changed of a GListModel */
#include "config.h"

#include "model-checker.h"

struct _ModelChecker
{
  GListModel *model;
  GPtrArray  *shadow;        /* GObject, as the model said it was */
  gulong      changed_id;
  gulong      notify_id;
  gboolean    has_n_items;
  gboolean    awaiting_notify;
  guint       n_changes;
  guint       n_removed;
  guint       n_added;
};

static void
compare (ModelChecker *checker)
{
  guint n = g_list_model_get_n_items (checker->model);

  g_assert_cmpuint (checker->shadow->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (checker->model, i);

      g_assert_nonnull (item);
      g_assert_true (G_TYPE_CHECK_INSTANCE_TYPE (item, g_list_model_get_item_type (checker->model)));
      if (item != checker->shadow->pdata[i])
        g_error ("model item %u is %p, the shadow has %p", i, (gpointer) item, checker->shadow->pdata[i]);
    }
  g_assert_null (g_list_model_get_item (checker->model, n));
}

static void
items_changed_cb (GListModel   *model,
                  guint         position,
                  guint         removed,
                  guint         added,
                  ModelChecker *checker)
{
  /* A length change must have been notified before the next change. */
  g_assert_false (checker->awaiting_notify);
  g_assert_true (removed > 0 || added > 0);
  g_assert_cmpuint (position, <=, checker->shadow->len);
  g_assert_cmpuint (removed, <=, checker->shadow->len - position);

  g_ptr_array_remove_range (checker->shadow, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (checker->shadow, position + i, g_list_model_get_item (model, position + i));

  checker->n_changes++;
  checker->n_removed += removed;
  checker->n_added += added;
  if (checker->has_n_items && removed != added)
    checker->awaiting_notify = TRUE;
  compare (checker);
}

static void
n_items_cb (GObject      *object,
            GParamSpec   *pspec,
            ModelChecker *checker)
{
  guint n_items;

  g_object_get (object, "n-items", &n_items, NULL);
  g_assert_cmpuint (n_items, ==, g_list_model_get_n_items (checker->model));
  g_assert_cmpuint (n_items, ==, checker->shadow->len);
  checker->awaiting_notify = FALSE;
}

ModelChecker *
model_checker_new (GListModel *model)
{
  ModelChecker *checker = g_new0 (ModelChecker, 1);
  guint n = g_list_model_get_n_items (model);

  checker->model = g_object_ref (model);
  checker->shadow = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (checker->shadow, g_list_model_get_item (model, i));
  checker->changed_id = g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), checker);
  checker->has_n_items = g_object_class_find_property (G_OBJECT_GET_CLASS (model), "n-items") != NULL;
  if (checker->has_n_items)
    checker->notify_id = g_signal_connect (model, "notify::n-items", G_CALLBACK (n_items_cb), checker);
  compare (checker);
  return checker;
}

void
model_checker_check (ModelChecker *checker)
{
  g_assert_false (checker->awaiting_notify);
  compare (checker);
  if (checker->has_n_items)
    {
      guint n_items;

      g_object_get (checker->model, "n-items", &n_items, NULL);
      g_assert_cmpuint (n_items, ==, checker->shadow->len);
    }
}

guint
model_checker_get_n_changes (ModelChecker *checker)
{
  return checker->n_changes;
}

guint
model_checker_get_n_removed (ModelChecker *checker)
{
  return checker->n_removed;
}

guint
model_checker_get_n_added (ModelChecker *checker)
{
  return checker->n_added;
}

void
model_checker_reset_counts (ModelChecker *checker)
{
  checker->n_changes = checker->n_removed = checker->n_added = 0;
}

void
model_checker_free (ModelChecker *checker)
{
  model_checker_check (checker);
  g_signal_handler_disconnect (checker->model, checker->changed_id);
  if (checker->notify_id != 0)
    g_signal_handler_disconnect (checker->model, checker->notify_id);
  g_ptr_array_unref (checker->shadow);
  g_object_unref (checker->model);
  g_free (checker);
}
