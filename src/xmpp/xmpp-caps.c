/* xmpp-caps.c: XEP-0115 entity capabilities verification strings
 *
 * S is built as XEP-0115 §5.1 describes:
 *
 *   identities  sorted by category, type, xml:lang, name
 *               "category/type/lang/name<"
 *   features    sorted, "var<"
 *   forms       (jabber:x:data, type 'result', hidden FORM_TYPE) sorted by
 *               FORM_TYPE: "FORM_TYPE<", then the other fields sorted by
 *               var: "var<" and their values sorted, "value<"
 *
 * Every sort is "i;octet" (RFC 4790 §9.3): strcmp() on UTF-8, never the
 * locale's collation.  Only the identity's own xml:lang counts, not one
 * inherited from <query/> or <iq/>.
 */
#include "config.h"

#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>

#include "xmpp-caps.h"
#include "xmpp-error.h"

typedef struct
{
  const char *category;
  const char *type;
  const char *lang;
  const char *name;
} Identity;

typedef struct
{
  const char *var;
  GPtrArray  *values;  /* const char *, borrowed from the tree */
} Field;

typedef struct
{
  const char *form_type;
  GPtrArray  *fields;  /* Field */
} Form;

static void
field_free (gpointer data)
{
  Field *field = data;

  g_ptr_array_unref (field->values);
  g_free (field);
}

static void
form_free (gpointer data)
{
  Form *form = data;

  g_ptr_array_unref (form->fields);
  g_free (form);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_identities (gconstpointer a,
                    gconstpointer b)
{
  const Identity *x = a;
  const Identity *y = b;
  int cmp;

  if ((cmp = strcmp (x->category, y->category)) != 0)
    return cmp;
  if ((cmp = strcmp (x->type, y->type)) != 0)
    return cmp;
  if ((cmp = strcmp (x->lang, y->lang)) != 0)
    return cmp;
  return strcmp (x->name, y->name);
}

static int
compare_fields (gconstpointer a,
                gconstpointer b)
{
  const Field *x = *(const Field * const *) a;
  const Field *y = *(const Field * const *) b;

  return strcmp (x->var, y->var);
}

static int
compare_forms (gconstpointer a,
               gconstpointer b)
{
  const Form *x = *(const Form * const *) a;
  const Form *y = *(const Form * const *) b;

  return strcmp (x->form_type, y->form_type);
}

static GPtrArray *
field_values (XmppElement *field)
{
  GPtrArray *values = g_ptr_array_new ();
  XmppElement *child = NULL;

  while ((child = xmpp_element_next_child (field, child)) != NULL)
    if (xmpp_element_is (child, XMPP_NS_DATA_FORMS, "value"))
      g_ptr_array_add (values, (gpointer) xmpp_element_get_text (child));

  return values;
}

/* A form for S, or NULL (no error) for one §5.4 says to ignore. */
static Form *
parse_form (XmppElement  *x,
            GError      **error)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (field_free);
  const char *form_type = NULL;
  gboolean form_type_hidden = TRUE;
  XmppElement *child = NULL;
  Form *form;

  if (g_strcmp0 (xmpp_element_get_attribute (x, "type"), "result") != 0)
    return NULL;

  while ((child = xmpp_element_next_child (x, child)) != NULL)
    {
      const char *var;

      if (!xmpp_element_is (child, XMPP_NS_DATA_FORMS, "field"))
        continue;

      var = xmpp_element_get_attribute (child, "var");
      if (var == NULL)
        continue;  /* e.g. type='fixed': not part of S */

      if (strcmp (var, "FORM_TYPE") == 0)
        {
          g_autoptr(GPtrArray) values = field_values (child);

          if (g_strcmp0 (xmpp_element_get_attribute (child, "type"), "hidden") != 0)
            form_type_hidden = FALSE;
          for (guint i = 0; i < values->len; i++)
            {
              const char *value = g_ptr_array_index (values, i);

              if (form_type != NULL && strcmp (form_type, value) != 0)
                {
                  g_set_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                               "A FORM_TYPE has two different values (“%s”, “%s”)",
                               form_type, value);
                  return NULL;
                }
              form_type = value;
            }
        }
      else
        {
          Field *field = g_new0 (Field, 1);

          field->var = var;
          field->values = field_values (child);
          g_ptr_array_sort (field->values, compare_strings);
          g_ptr_array_add (fields, field);
        }
    }

  if (form_type == NULL || !form_type_hidden)
    return NULL;

  g_ptr_array_sort (fields, compare_fields);
  form = g_new0 (Form, 1);
  form->form_type = form_type;
  form->fields = g_steal_pointer (&fields);
  return form;
}

char *
xmpp_caps_build_string (XmppElement  *query,
                        GError      **error)
{
  g_autoptr(GArray) identities = g_array_new (FALSE, FALSE, sizeof (Identity));
  g_autoptr(GPtrArray) features = g_ptr_array_new ();
  g_autoptr(GPtrArray) forms = g_ptr_array_new_with_free_func (form_free);
  g_autoptr(GString) s = g_string_new (NULL);
  XmppElement *child = NULL;

  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!xmpp_element_is (query, XMPP_NS_DISCO_INFO, "query"))
    {
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                           "Not a disco#info query");
      return NULL;
    }

  while ((child = xmpp_element_next_child (query, child)) != NULL)
    {
      if (xmpp_element_is (child, XMPP_NS_DISCO_INFO, "identity"))
        {
          Identity identity;
          const char *lang = xmpp_element_get_lang (child);
          const char *name = xmpp_element_get_attribute (child, "name");

          identity.category = xmpp_element_get_attribute (child, "category");
          identity.type = xmpp_element_get_attribute (child, "type");
          identity.lang = lang != NULL ? lang : "";
          identity.name = name != NULL ? name : "";
          if (identity.category == NULL || identity.type == NULL)
            {
              g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                   "An identity lacks its category or type");
              return NULL;
            }
          g_array_append_val (identities, identity);
        }
      else if (xmpp_element_is (child, XMPP_NS_DISCO_INFO, "feature"))
        {
          const char *var = xmpp_element_get_attribute (child, "var");

          if (var == NULL)
            {
              g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                                   "A feature lacks its var");
              return NULL;
            }
          g_ptr_array_add (features, (gpointer) var);
        }
      else if (xmpp_element_is (child, XMPP_NS_DATA_FORMS, "x"))
        {
          g_autoptr(GError) local_error = NULL;
          Form *form = parse_form (child, &local_error);

          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return NULL;
            }
          if (form != NULL)
            g_ptr_array_add (forms, form);
        }
    }

  g_array_sort (identities, compare_identities);
  g_ptr_array_sort (features, compare_strings);
  g_ptr_array_sort (forms, compare_forms);

  /* After sorting, duplicates are neighbours (XEP-0115 §5.4 3.3–3.5). */
  for (guint i = 0; i < identities->len; i++)
    {
      const Identity *identity = &g_array_index (identities, Identity, i);

      if (i > 0 && compare_identities (identity - 1, identity) == 0)
        {
          g_set_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                       "Duplicate identity %s/%s/%s/%s", identity->category,
                       identity->type, identity->lang, identity->name);
          return NULL;
        }
      g_string_append_printf (s, "%s/%s/%s/%s<", identity->category,
                              identity->type, identity->lang, identity->name);
    }

  for (guint i = 0; i < features->len; i++)
    {
      const char *var = g_ptr_array_index (features, i);

      if (i > 0 && strcmp (g_ptr_array_index (features, i - 1), var) == 0)
        {
          g_set_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                       "Duplicate feature %s", var);
          return NULL;
        }
      g_string_append (s, var);
      g_string_append_c (s, '<');
    }

  for (guint i = 0; i < forms->len; i++)
    {
      const Form *form = g_ptr_array_index (forms, i);

      if (i > 0 && compare_forms (&g_ptr_array_index (forms, i - 1), &g_ptr_array_index (forms, i)) == 0)
        {
          g_set_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                       "Two forms with FORM_TYPE %s", form->form_type);
          return NULL;
        }

      g_string_append (s, form->form_type);
      g_string_append_c (s, '<');
      for (guint j = 0; j < form->fields->len; j++)
        {
          const Field *field = g_ptr_array_index (form->fields, j);

          g_string_append (s, field->var);
          g_string_append_c (s, '<');
          for (guint k = 0; k < field->values->len; k++)
            {
              g_string_append (s, g_ptr_array_index (field->values, k));
              g_string_append_c (s, '<');
            }
        }
    }

  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
lookup_hash (const char                *hash_name,
             gnutls_digest_algorithm_t *algorithm)
{
  static const struct {
    const char                *name;
    gnutls_digest_algorithm_t  algorithm;
  } hashes[] = {
    { "sha-1",   GNUTLS_DIG_SHA1 },
    { "sha-224", GNUTLS_DIG_SHA224 },
    { "sha-256", GNUTLS_DIG_SHA256 },
    { "sha-384", GNUTLS_DIG_SHA384 },
    { "sha-512", GNUTLS_DIG_SHA512 },
  };

  if (hash_name == NULL)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (hashes); i++)
    if (g_ascii_strcasecmp (hashes[i].name, hash_name) == 0)
      {
        if (algorithm != NULL)
          *algorithm = hashes[i].algorithm;
        return TRUE;
      }

  return FALSE;
}

gboolean
xmpp_caps_hash_is_supported (const char *hash_name)
{
  return lookup_hash (hash_name, NULL);
}

char *
xmpp_caps_compute_ver (XmppElement  *query,
                       const char   *hash_name,
                       GError      **error)
{
  g_autofree char *s = NULL;
  gnutls_digest_algorithm_t algorithm;
  guint8 digest[64];
  int ret;

  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!lookup_hash (hash_name, &algorithm))
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_INVALID_ARGUMENT,
                   "Unsupported caps hash “%s”", hash_name ? hash_name : "(null)");
      return NULL;
    }

  s = xmpp_caps_build_string (query, error);
  if (s == NULL)
    return NULL;

  ret = gnutls_hash_fast (algorithm, s, strlen (s), digest);
  if (ret < 0)
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_FAILED,
                   "Hashing failed: %s", gnutls_strerror (ret));
      return NULL;
    }

  return g_base64_encode (digest, gnutls_hash_get_len (algorithm));
}
