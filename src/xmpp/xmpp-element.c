/* xmpp-element.c: the element tree and its serialiser */
#include "config.h"

#include <string.h>

#include "xmpp-element.h"

typedef struct
{
  char *ns;     /* NULL for unqualified attributes */
  char *name;
  char *value;
} XmppAttribute;

struct _XmppElement
{
  gint       ref_count;
  char      *ns;        /* NULL for text nodes */
  char      *name;      /* NULL for text nodes */
  char      *text;      /* text nodes: the text; elements: cached concatenation */
  gsize      text_len;  /* text nodes: strlen (text) */
  gsize      text_size; /* text nodes: bytes allocated for text */
  GArray    *attrs;     /* XmppAttribute, created on demand */
  GPtrArray *children;  /* XmppElement, created on demand */
};

static void
attribute_clear (gpointer data)
{
  XmppAttribute *attr = data;

  g_free (attr->ns);
  g_free (attr->name);
  g_free (attr->value);
}

XmppElement *
xmpp_element_new (const char *ns,
                  const char *name)
{
  XmppElement *self;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  self = g_new0 (XmppElement, 1);
  self->ref_count = 1;
  self->ns = g_strdup (ns != NULL ? ns : "");
  self->name = g_strdup (name);
  return self;
}

XmppElement *
xmpp_element_new_text (const char *text,
                       gssize      len)
{
  XmppElement *self;

  g_return_val_if_fail (text != NULL, NULL);

  self = g_new0 (XmppElement, 1);
  self->ref_count = 1;
  self->text = len < 0 ? g_strdup (text) : g_strndup (text, len);
  self->text_len = strlen (self->text);
  self->text_size = self->text_len + 1;
  return self;
}

XmppElement *
xmpp_element_ref (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_int_inc (&self->ref_count);
  return self;
}

void
xmpp_element_unref (XmppElement *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_int_dec_and_test (&self->ref_count))
    return;

  g_free (self->ns);
  g_free (self->name);
  g_free (self->text);
  g_clear_pointer (&self->attrs, g_array_unref);
  g_clear_pointer (&self->children, g_ptr_array_unref);
  g_free (self);
}

XmppElement *
xmpp_element_copy (XmppElement *self)
{
  XmppElement *copy;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->name == NULL)
    return xmpp_element_new_text (self->text, -1);

  copy = xmpp_element_new (self->ns, self->name);
  if (self->attrs != NULL)
    for (guint i = 0; i < self->attrs->len; i++)
      {
        XmppAttribute *attr = &g_array_index (self->attrs, XmppAttribute, i);
        xmpp_element_set_attribute_ns (copy, attr->ns, attr->name, attr->value);
      }
  if (self->children != NULL)
    for (guint i = 0; i < self->children->len; i++)
      {
        g_autoptr(XmppElement) child = xmpp_element_copy (g_ptr_array_index (self->children, i));
        xmpp_element_add_child (copy, child);
      }
  return copy;
}

gboolean
xmpp_element_is_text (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, FALSE);
  return self->name == NULL;
}

const char *
xmpp_element_get_name (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->name;
}

const char *
xmpp_element_get_namespace (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->ns;
}

gboolean
xmpp_element_is (XmppElement *self,
                 const char  *ns,
                 const char  *name)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (self->name == NULL)
    return FALSE;
  if (name != NULL && strcmp (self->name, name) != 0)
    return FALSE;
  if (ns != NULL && strcmp (self->ns, ns) != 0)
    return FALSE;
  return TRUE;
}

static XmppAttribute *
find_attribute (XmppElement *self,
                const char  *ns,
                const char  *name,
                guint       *index)
{
  if (self->attrs == NULL)
    return NULL;

  for (guint i = 0; i < self->attrs->len; i++)
    {
      XmppAttribute *attr = &g_array_index (self->attrs, XmppAttribute, i);

      if (strcmp (attr->name, name) == 0 && g_strcmp0 (attr->ns, ns) == 0)
        {
          if (index != NULL)
            *index = i;
          return attr;
        }
    }
  return NULL;
}

void
xmpp_element_set_attribute_ns (XmppElement *self,
                               const char  *ns,
                               const char  *name,
                               const char  *value)
{
  XmppAttribute *attr;
  guint index;

  g_return_if_fail (self != NULL && self->name != NULL);
  g_return_if_fail (name != NULL);

  if (ns != NULL && *ns == '\0')
    ns = NULL;

  attr = find_attribute (self, ns, name, &index);
  if (value == NULL)
    {
      if (attr != NULL)
        g_array_remove_index (self->attrs, index);
      return;
    }
  if (attr != NULL)
    {
      char *copy = g_strdup (value);
      g_free (attr->value);
      attr->value = copy;
      return;
    }

  if (self->attrs == NULL)
    {
      self->attrs = g_array_sized_new (FALSE, FALSE, sizeof (XmppAttribute), 4);
      g_array_set_clear_func (self->attrs, attribute_clear);
    }
  g_array_append_vals (self->attrs,
                       &(XmppAttribute) { g_strdup (ns), g_strdup (name), g_strdup (value) },
                       1);
}

void
xmpp_element_set_attribute (XmppElement *self,
                            const char  *name,
                            const char  *value)
{
  xmpp_element_set_attribute_ns (self, NULL, name, value);
}

const char *
xmpp_element_get_attribute_ns (XmppElement *self,
                               const char  *ns,
                               const char  *name)
{
  XmppAttribute *attr;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (ns != NULL && *ns == '\0')
    ns = NULL;
  attr = find_attribute (self, ns, name, NULL);
  return attr != NULL ? attr->value : NULL;
}

const char *
xmpp_element_get_attribute (XmppElement *self,
                            const char  *name)
{
  return xmpp_element_get_attribute_ns (self, NULL, name);
}

guint
xmpp_element_get_n_attributes (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->attrs != NULL ? self->attrs->len : 0;
}

void
xmpp_element_get_attribute_at (XmppElement *self,
                               guint        index,
                               const char **ns,
                               const char **name,
                               const char **value)
{
  XmppAttribute *attr;

  g_return_if_fail (self != NULL && self->attrs != NULL);
  g_return_if_fail (index < self->attrs->len);

  attr = &g_array_index (self->attrs, XmppAttribute, index);
  if (ns != NULL)
    *ns = attr->ns;
  if (name != NULL)
    *name = attr->name;
  if (value != NULL)
    *value = attr->value;
}

const char *
xmpp_element_get_lang (XmppElement *self)
{
  return xmpp_element_get_attribute_ns (self, XMPP_NS_XML, "lang");
}

void
xmpp_element_set_lang (XmppElement *self,
                       const char  *lang)
{
  xmpp_element_set_attribute_ns (self, XMPP_NS_XML, "lang", lang);
}

static void
invalidate_text (XmppElement *self)
{
  g_clear_pointer (&self->text, g_free);
}

XmppElement *
xmpp_element_add_child (XmppElement *self,
                        XmppElement *child)
{
  g_return_val_if_fail (self != NULL && self->name != NULL, NULL);
  g_return_val_if_fail (child != NULL, NULL);
  g_return_val_if_fail (child != self, NULL);

  if (self->children == NULL)
    self->children = g_ptr_array_new_with_free_func ((GDestroyNotify) xmpp_element_unref);
  g_ptr_array_add (self->children, xmpp_element_ref (child));
  if (child->name == NULL)
    invalidate_text (self);
  return child;
}

XmppElement *
xmpp_element_add_child_new (XmppElement *self,
                            const char  *ns,
                            const char  *name)
{
  g_autoptr(XmppElement) child = NULL;

  g_return_val_if_fail (self != NULL && self->name != NULL, NULL);

  child = xmpp_element_new (ns != NULL ? ns : self->ns, name);
  return xmpp_element_add_child (self, child);
}

XmppElement *
xmpp_element_add_child_with_text (XmppElement *self,
                                  const char  *ns,
                                  const char  *name,
                                  const char  *text)
{
  XmppElement *child = xmpp_element_add_child_new (self, ns, name);

  if (child != NULL && text != NULL && *text != '\0')
    xmpp_element_add_text (child, text, -1);
  return child;
}

void
xmpp_element_add_text (XmppElement *self,
                       const char  *text,
                       gssize       len)
{
  XmppElement *last;

  g_return_if_fail (self != NULL && self->name != NULL);
  g_return_if_fail (text != NULL);

  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  invalidate_text (self);

  /* Merge with a preceding text node: the parser may deliver one text
   * node in several pieces. */
  last = (self->children != NULL && self->children->len > 0)
    ? g_ptr_array_index (self->children, self->children->len - 1) : NULL;
  if (last != NULL && last->name == NULL && last->ref_count == 1)
    {
      /* Grow geometrically: appending many pieces stays linear. */
      if (last->text_len + len + 1 > last->text_size)
        {
          last->text_size = MAX (last->text_len + len + 1, 2 * last->text_size);
          last->text = g_realloc (last->text, last->text_size);
        }
      memcpy (last->text + last->text_len, text, len);
      last->text_len += len;
      last->text[last->text_len] = '\0';
      return;
    }

  {
    g_autoptr(XmppElement) node = xmpp_element_new_text (text, len);
    xmpp_element_add_child (self, node);
  }
}

gboolean
xmpp_element_remove_child (XmppElement *self,
                           XmppElement *child)
{
  gboolean removed;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (child != NULL, FALSE);

  if (self->children == NULL)
    return FALSE;
  if (child->name == NULL)
    invalidate_text (self);
  removed = g_ptr_array_remove (self->children, child);
  return removed;
}

void
xmpp_element_remove_children (XmppElement *self,
                              const char  *ns,
                              const char  *name)
{
  g_return_if_fail (self != NULL);

  if (self->children == NULL)
    return;
  for (guint i = self->children->len; i > 0; i--)
    {
      XmppElement *child = g_ptr_array_index (self->children, i - 1);

      if (xmpp_element_is (child, ns != NULL ? ns : self->ns, name))
        g_ptr_array_remove_index (self->children, i - 1);
    }
}

guint
xmpp_element_get_n_nodes (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->children != NULL ? self->children->len : 0;
}

XmppElement *
xmpp_element_get_node (XmppElement *self,
                       guint        index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (self->children != NULL && index < self->children->len, NULL);
  return g_ptr_array_index (self->children, index);
}

XmppElement *
xmpp_element_next_child (XmppElement *self,
                         XmppElement *previous)
{
  guint i = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->children == NULL)
    return NULL;

  if (previous != NULL)
    {
      if (!g_ptr_array_find (self->children, previous, &i))
        return NULL;
      i++;
    }

  for (; i < self->children->len; i++)
    {
      XmppElement *child = g_ptr_array_index (self->children, i);
      if (child->name != NULL)
        return child;
    }
  return NULL;
}

XmppElement *
xmpp_element_find_child (XmppElement *self,
                         const char  *ns,
                         const char  *name)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->children == NULL)
    return NULL;
  if (ns == NULL)
    ns = self->ns;

  for (guint i = 0; i < self->children->len; i++)
    {
      XmppElement *child = g_ptr_array_index (self->children, i);
      if (xmpp_element_is (child, ns, name))
        return child;
    }
  return NULL;
}

const char *
xmpp_element_get_text (XmppElement *self)
{
  GString *text;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->text != NULL)
    return self->text;
  if (self->children == NULL)
    return "";

  text = g_string_new (NULL);
  for (guint i = 0; i < self->children->len; i++)
    {
      XmppElement *child = g_ptr_array_index (self->children, i);
      if (child->name == NULL)
        g_string_append (text, child->text);
    }
  self->text = g_string_free (text, FALSE);
  return self->text;
}

const char *
xmpp_element_find_child_text (XmppElement *self,
                              const char  *ns,
                              const char  *name)
{
  XmppElement *child = xmpp_element_find_child (self, ns, name);

  return child != NULL ? xmpp_element_get_text (child) : NULL;
}

/* XML 1.0 forbids C0 controls other than TAB, LF and CR even as character
 * references, so they are dropped rather than written. */
static inline gboolean
is_forbidden_control (guchar c)
{
  return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
}

void
xmpp_escape_text (GString    *out,
                  const char *text,
                  gssize      len)
{
  const char *p, *end, *run;

  if (len < 0)
    len = strlen (text);
  end = text + len;

  for (p = run = text; p < end; p++)
    {
      const char *rep;
      guchar c = (guchar) *p;

      switch (c)
        {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\r': rep = "&#13;"; break;
        default:
          if (!is_forbidden_control (c))
            continue;
          rep = "";
          break;
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, rep);
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
}

void
xmpp_escape_attribute (GString    *out,
                       const char *value,
                       gssize      len)
{
  const char *p, *end, *run;

  if (len < 0)
    len = strlen (value);
  end = value + len;

  for (p = run = value; p < end; p++)
    {
      const char *rep;
      guchar c = (guchar) *p;

      switch (c)
        {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '\'': rep = "&apos;"; break;
        case '"': rep = "&quot;"; break;
        case '\t': rep = "&#9;"; break;
        case '\n': rep = "&#10;"; break;
        case '\r': rep = "&#13;"; break;
        default:
          if (!is_forbidden_control (c))
            continue;
          rep = "";
          break;
        }
      g_string_append_len (out, run, p - run);
      g_string_append (out, rep);
      run = p + 1;
    }
  g_string_append_len (out, run, p - run);
}

void
xmpp_element_serialize (XmppElement *self,
                        GString     *out,
                        const char  *parent_ns)
{
  guint prefix_counter = 0;

  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  if (self->name == NULL)
    {
      xmpp_escape_text (out, self->text, -1);
      return;
    }

  g_string_append_c (out, '<');
  g_string_append (out, self->name);

  if (parent_ns == NULL || strcmp (parent_ns, self->ns) != 0)
    {
      g_string_append (out, " xmlns='");
      xmpp_escape_attribute (out, self->ns, -1);
      g_string_append_c (out, '\'');
    }

  if (self->attrs != NULL)
    for (guint i = 0; i < self->attrs->len; i++)
      {
        XmppAttribute *attr = &g_array_index (self->attrs, XmppAttribute, i);

        g_string_append_c (out, ' ');
        if (attr->ns == NULL)
          {
            g_string_append (out, attr->name);
          }
        else if (strcmp (attr->ns, XMPP_NS_XML) == 0)
          {
            g_string_append (out, "xml:");
            g_string_append (out, attr->name);
          }
        else
          {
            /* A namespaced attribute gets a prefix declared right here. */
            g_string_append_printf (out, "xmlns:a%u='", prefix_counter);
            xmpp_escape_attribute (out, attr->ns, -1);
            g_string_append_printf (out, "' a%u:%s", prefix_counter, attr->name);
            prefix_counter++;
          }
        g_string_append (out, "='");
        xmpp_escape_attribute (out, attr->value, -1);
        g_string_append_c (out, '\'');
      }

  if (self->children == NULL || self->children->len == 0)
    {
      g_string_append (out, "/>");
      return;
    }

  g_string_append_c (out, '>');
  for (guint i = 0; i < self->children->len; i++)
    xmpp_element_serialize (g_ptr_array_index (self->children, i), out, self->ns);
  g_string_append (out, "</");
  g_string_append (out, self->name);
  g_string_append_c (out, '>');
}

char *
xmpp_element_to_string (XmppElement *self)
{
  GString *out = g_string_new (NULL);

  xmpp_element_serialize (self, out, NULL);
  return g_string_free (out, FALSE);
}
