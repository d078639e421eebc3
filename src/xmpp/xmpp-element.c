/* xmpp-element.c: the element tree and its serialiser
 *
 * The parser builds a tree per stanza and drops it soon after, so the
 * layout keeps allocations few:
 *
 *   element    one block: the struct, then the namespace (unless it is a
 *              well-known one, see below) and the local name
 *   attributes one block: an array of XmppAttribute, then their strings
 *              ("name\0value\0", plus "ns\0" unless the namespace is
 *              well-known); what does not fit gets allocations of its own
 *   children   a plain array of references; the first child is kept in
 *              the element itself, so leaves like <body> need no array
 *   text node  one block: the struct, then the text; the text moves to a
 *              buffer of its own only when add_text() appends to it
 *
 * Well-known namespaces ("jabber:client", the RFC 6120 ones, common XEPs)
 * are not copied: the element points at the entry in a fixed table.  The
 * table never grows, so what a peer sends cannot fill it.
 *
 * Reading an element writes to it: get_text() caches the joined text (as
 * it always did) and next_child() remembers where it stopped.  Threads may
 * share a tree by reference, but not read it at the same time.
 */
#include "config.h"

#include <string.h>

#include "xmpp-element.h"

typedef struct
{
  const char *ns;     /* NULL for unqualified attributes */
  char       *name;   /* start of the attribute's strings */
  char       *value;  /* after the name */
} XmppAttribute;

struct _XmppElement
{
  gint           ref_count;
  guint          n_attrs;
  guint          attrs_size;
  guint          n_children;
  guint          children_size;
  guint          child_hint;     /* index next_child() returned last; checked before use */
  guint          attr_block_used;
  gboolean       text_owned;     /* whether text must be freed */
  const char    *ns;             /* NULL for text nodes; well-known or in this block */
  const char    *name;           /* NULL for text nodes; in this block */
  char          *text;           /* text nodes: the text; elements: cached get_text(), or NULL */
  gsize          text_len;       /* text nodes: strlen (text) */
  gsize          text_size;      /* text nodes: bytes available at text */
  XmppAttribute *attrs;          /* at the start of attr_block, or an array of its own */
  gpointer       attr_block;     /* NULL until the first attribute */
  XmppElement  **children;       /* &only_child, or an array of its own */
  XmppElement   *only_child;     /* storage while there is at most one child */
};

/* The attribute block has room for five attributes, enough for
 * <message from to type id xml:lang>, and their strings if they are of
 * usual length.  It never grows, so the strings of replaced or removed
 * attributes that stay in it waste at most its size. */
#define ATTR_BLOCK_SIZE  256
#define ATTR_BLOCK_SLOTS 5
G_STATIC_ASSERT (ATTR_BLOCK_SLOTS * sizeof (XmppAttribute) < ATTR_BLOCK_SIZE);

/* The first array of its own fills a 64-byte glibc chunk: seven children
 * cover most stanzas. */
#define FIRST_CHILDREN_SIZE 7

/* Well-known namespaces */

static const char *const well_known_namespaces[] = {
  "jabber:client",
  "jabber:server",
  "jabber:component:accept",
  "http://etherx.jabber.org/streams",
  XMPP_NS_XML,
  "urn:ietf:params:xml:ns:xmpp-streams",
  "urn:ietf:params:xml:ns:xmpp-stanzas",
  "urn:ietf:params:xml:ns:xmpp-tls",
  "urn:ietf:params:xml:ns:xmpp-sasl",
  "urn:ietf:params:xml:ns:xmpp-bind",
  "urn:ietf:params:xml:ns:xmpp-session",
  "urn:xmpp:features:rosterver",
  "urn:xmpp:features:pre-approval",
  "urn:xmpp:sasl-cb:0",
  "urn:xmpp:sm:3",
  "urn:xmpp:csi:0",
  "jabber:iq:roster",
  "jabber:iq:register",
  "jabber:iq:private",
  "jabber:iq:version",
  "jabber:iq:last",
  "jabber:x:data",
  "jabber:x:oob",
  "jabber:x:conference",
  "vcard-temp",
  "vcard-temp:x:update",
  "http://jabber.org/protocol/caps",
  "http://jabber.org/protocol/disco#info",
  "http://jabber.org/protocol/disco#items",
  "http://jabber.org/protocol/chatstates",
  "http://jabber.org/protocol/muc",
  "http://jabber.org/protocol/muc#user",
  "http://jabber.org/protocol/pubsub",
  "http://jabber.org/protocol/pubsub#event",
  "http://jabber.org/protocol/rsm",
  "urn:xmpp:ping",
  "urn:xmpp:time",
  "urn:xmpp:delay",
  "urn:xmpp:receipts",
  "urn:xmpp:chat-markers:0",
  "urn:xmpp:sid:0",
  "urn:xmpp:hints",
  "urn:xmpp:carbons:2",
  "urn:xmpp:forward:0",
  "urn:xmpp:mam:2",
  "urn:xmpp:message-correct:0",
  "urn:xmpp:blocking",
  "urn:xmpp:http:upload:0",
};

/* Open addressing over entry index + 1 (0 = empty), at most half full. */
#define NS_SLOTS 128
G_STATIC_ASSERT (G_N_ELEMENTS (well_known_namespaces) <= NS_SLOTS / 2);

static guint8 ns_slots[NS_SLOTS];
static guint8 ns_lengths[G_N_ELEMENTS (well_known_namespaces)];

static inline guint
ns_hash (const char *ns,
         gsize       len)
{
  return (guint) (len * 31 + (guchar) ns[len - 1] * 7 + (guchar) ns[len / 2]) % NS_SLOTS;
}

static void
ns_table_init (void)
{
  static gsize initialized = 0;

  if (!g_once_init_enter (&initialized))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (well_known_namespaces); i++)
    {
      gsize len = strlen (well_known_namespaces[i]);
      guint slot = ns_hash (well_known_namespaces[i], len);

      g_assert (len > 0 && len <= G_MAXUINT8);
      ns_lengths[i] = (guint8) len;
      while (ns_slots[slot] != 0)
        slot = (slot + 1) % NS_SLOTS;
      ns_slots[slot] = (guint8) (i + 1);
    }
  g_once_init_leave (&initialized, 1);
}

/* The table's copy of @ns (of length @len), or NULL. */
static const char *
ns_lookup (const char *ns,
           gsize       len)
{
  guint slot;

  if (len == 0)
    return "";
  if (len > G_MAXUINT8)
    return NULL;

  ns_table_init ();
  for (slot = ns_hash (ns, len); ns_slots[slot] != 0; slot = (slot + 1) % NS_SLOTS)
    {
      guint i = ns_slots[slot] - 1;

      if (ns_lengths[i] == len && memcmp (well_known_namespaces[i], ns, len) == 0)
        return well_known_namespaces[i];
    }
  return NULL;
}

/* Storage */

static inline gboolean
str_equal (const char *a,
           const char *b)
{
  return a == b || strcmp (a, b) == 0;
}

static inline gboolean
ns_equal (const char *a,
          const char *b)
{
  return a == b || (a != NULL && b != NULL && strcmp (a, b) == 0);
}

/* Array growth: 5, 11, 23… and 1, 7, 15, 31… */
static guint
grow_size (guint size,
           guint first)
{
  if (size < first)
    return first;
  if (size > G_MAXUINT / 2 - 1)
    g_error ("XmppElement: too many attributes or children");
  return 2 * size + 1;
}

/* Strings in the attribute block are freed with it. */
static inline gboolean
in_attr_block (XmppElement *self,
               const char  *p)
{
  return self->attr_block != NULL
    && (guintptr) p - (guintptr) self->attr_block < ATTR_BLOCK_SIZE;
}

static void
attribute_release (XmppElement   *self,
                   XmppAttribute *attr)
{
  if (!in_attr_block (self, attr->name))
    g_free (attr->name);
}

/* Points @attr at new copies of @name, @value and, unless it is
 * well-known, @ns: in the attribute block while it has room. */
static void
attribute_init (XmppElement   *self,
                XmppAttribute *attr,
                const char    *ns,
                const char    *name,
                const char    *value)
{
  const char *well_known = NULL;
  gsize ns_size = 0, name_size, value_size, size;
  char *p;

  if (ns != NULL)
    {
      gsize ns_len = strlen (ns);

      well_known = ns_lookup (ns, ns_len);
      if (well_known == NULL)
        ns_size = ns_len + 1;
    }
  name_size = strlen (name) + 1;
  value_size = strlen (value) + 1;
  size = name_size + value_size + ns_size;

  if (ATTR_BLOCK_SIZE - self->attr_block_used >= size)
    {
      p = (char *) self->attr_block + self->attr_block_used;
      self->attr_block_used += size;
    }
  else
    {
      p = g_malloc (size);
    }
  attr->name = memcpy (p, name, name_size);
  attr->value = memcpy (p + name_size, value, value_size);
  attr->ns = ns_size > 0 ? memcpy (p + name_size + value_size, ns, ns_size) : well_known;
}

/* Appends without looking for a duplicate: the caller knows there is none. */
static void
append_attribute (XmppElement *self,
                  const char  *ns,
                  const char  *name,
                  const char  *value)
{
  if (self->attr_block == NULL)
    {
      self->attr_block = g_malloc (ATTR_BLOCK_SIZE);
      self->attr_block_used = ATTR_BLOCK_SLOTS * sizeof (XmppAttribute);
      self->attrs = self->attr_block;
      self->attrs_size = ATTR_BLOCK_SLOTS;
    }
  else if (self->n_attrs == self->attrs_size)
    {
      guint size = grow_size (self->attrs_size, ATTR_BLOCK_SLOTS);

      if (self->attrs == self->attr_block)
        {
          /* The array moves out; its place in the block stays unused. */
          self->attrs = g_new (XmppAttribute, size);
          memcpy (self->attrs, self->attr_block, self->n_attrs * sizeof (XmppAttribute));
        }
      else
        {
          self->attrs = g_renew (XmppAttribute, self->attrs, size);
        }
      self->attrs_size = size;
    }
  attribute_init (self, &self->attrs[self->n_attrs++], ns, name, value);
}

/* The parser caps attributes at a few hundred per element, so a linear
 * search is fine; comparing the first byte before calling strcmp() keeps
 * it cheap. */
static XmppAttribute *
find_attribute (XmppElement *self,
                const char  *ns,
                const char  *name,
                guint       *index)
{
  for (guint i = 0; i < self->n_attrs; i++)
    {
      XmppAttribute *attr = &self->attrs[i];

      if (attr->name[0] == name[0] && strcmp (attr->name, name) == 0 && ns_equal (attr->ns, ns))
        {
          if (index != NULL)
            *index = i;
          return attr;
        }
    }
  return NULL;
}

/* Takes @child's reference. */
static void
append_child (XmppElement *self,
              XmppElement *child)
{
  if (self->n_children == self->children_size)
    {
      guint size = grow_size (self->children_size, FIRST_CHILDREN_SIZE);

      if (self->children == &self->only_child)
        {
          self->children = g_new (XmppElement *, size);
          self->children[0] = self->only_child;
        }
      else
        {
          self->children = g_renew (XmppElement *, self->children, size);
        }
      self->children_size = size;
    }
  self->children[self->n_children++] = child;
}

static void
invalidate_text (XmppElement *self)
{
  if (self->text_owned)
    g_free (self->text);
  self->text = NULL;
  self->text_owned = FALSE;
}

/* Elements and text nodes */

/* A zeroed element with room for @extra bytes after it. */
static XmppElement *
element_alloc (gsize extra)
{
  XmppElement *self = g_malloc (sizeof (XmppElement) + extra);

  memset (self, 0, sizeof (XmppElement));
  self->ref_count = 1;
  self->children = &self->only_child;
  self->children_size = 1;
  return self;
}

XmppElement *
xmpp_element_new (const char *ns,
                  const char *name)
{
  XmppElement *self;
  const char *well_known;
  gsize ns_len, name_len, extra;
  char *p;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  if (ns == NULL)
    ns = "";
  ns_len = strlen (ns);
  name_len = strlen (name);
  well_known = ns_lookup (ns, ns_len);

  extra = name_len + 1 + (well_known == NULL ? ns_len + 1 : 0);
  self = element_alloc (extra);
  p = (char *) (self + 1);
  memcpy (p, name, name_len + 1);
  self->name = p;
  if (well_known == NULL)
    {
      p += name_len + 1;
      memcpy (p, ns, ns_len + 1);
      self->ns = p;
    }
  else
    {
      self->ns = well_known;
    }
  return self;
}

static inline char *
inline_text (XmppElement *self)
{
  return (char *) (self + 1);
}

XmppElement *
xmpp_element_new_text (const char *text,
                       gssize      len)
{
  XmppElement *self;
  const char *nul;

  g_return_val_if_fail (text != NULL, NULL);

  /* Like g_strndup(): the text ends at the first NUL. */
  if (len < 0)
    len = strlen (text);
  else if ((nul = memchr (text, '\0', len)) != NULL)
    len = nul - text;

  self = element_alloc (len + 1);
  self->text = inline_text (self);
  memcpy (self->text, text, len);
  self->text[len] = '\0';
  self->text_len = len;
  self->text_size = len + 1;
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

  /* Whoever holds the only reference is the only one who could change the
   * count, so the last release (most of them: a parsed stanza is freed
   * as a whole) needs no atomic decrement. */
  if (g_atomic_int_get (&self->ref_count) != 1
      && !g_atomic_int_dec_and_test (&self->ref_count))
    return;

  if (self->text_owned)
    g_free (self->text);
  for (guint i = 0; i < self->n_attrs; i++)
    attribute_release (self, &self->attrs[i]);
  if (self->attrs != self->attr_block)
    g_free (self->attrs);
  g_free (self->attr_block);
  for (guint i = 0; i < self->n_children; i++)
    xmpp_element_unref (self->children[i]);
  if (self->children != &self->only_child)
    g_free (self->children);
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
  for (guint i = 0; i < self->n_attrs; i++)
    append_attribute (copy, self->attrs[i].ns, self->attrs[i].name, self->attrs[i].value);
  for (guint i = 0; i < self->n_children; i++)
    append_child (copy, xmpp_element_copy (self->children[i]));
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

static inline gboolean
element_is (XmppElement *self,
            const char  *ns,
            const char  *name)
{
  if (self->name == NULL)
    return FALSE;
  if (name != NULL && strcmp (self->name, name) != 0)
    return FALSE;
  if (ns != NULL && !str_equal (self->ns, ns))
    return FALSE;
  return TRUE;
}

gboolean
xmpp_element_is (XmppElement *self,
                 const char  *ns,
                 const char  *name)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return element_is (self, ns, name);
}

/* Attributes */

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
  if (attr == NULL)
    {
      if (value != NULL)
        append_attribute (self, ns, name, value);
      return;
    }

  if (value == NULL)
    {
      attribute_release (self, attr);
      memmove (attr, attr + 1, (self->n_attrs - index - 1) * sizeof (XmppAttribute));
      self->n_attrs--;
      return;
    }

  /* New strings for the new value; @value may point into the old ones,
   * so they are released last. */
  {
    XmppAttribute old = *attr;

    attribute_init (self, attr, old.ns, old.name, value);
    attribute_release (self, &old);
  }
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
  return self->n_attrs;
}

void
xmpp_element_get_attribute_at (XmppElement *self,
                               guint        index,
                               const char **ns,
                               const char **name,
                               const char **value)
{
  XmppAttribute *attr;

  g_return_if_fail (self != NULL);
  g_return_if_fail (index < self->n_attrs);

  attr = &self->attrs[index];
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

/* Children */

XmppElement *
xmpp_element_add_child (XmppElement *self,
                        XmppElement *child)
{
  g_return_val_if_fail (self != NULL && self->name != NULL, NULL);
  g_return_val_if_fail (child != NULL, NULL);
  g_return_val_if_fail (child != self, NULL);

  append_child (self, xmpp_element_ref (child));
  if (child->name == NULL)
    invalidate_text (self);
  return child;
}

XmppElement *
xmpp_element_add_child_new (XmppElement *self,
                            const char  *ns,
                            const char  *name)
{
  XmppElement *child;

  g_return_val_if_fail (self != NULL && self->name != NULL, NULL);

  child = xmpp_element_new (ns != NULL ? ns : self->ns, name);
  if (child != NULL)
    append_child (self, child);
  return child;
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

  /* Merge with a preceding text node that no one else holds: the parser
   * may deliver one text node in several pieces. */
  last = self->n_children > 0 ? self->children[self->n_children - 1] : NULL;
  if (last != NULL && last->name == NULL && last->ref_count == 1)
    {
      /* Grow geometrically: appending many pieces stays linear. */
      if (last->text_len + len + 1 > last->text_size)
        {
          gsize size = MAX (last->text_len + len + 1, 2 * last->text_size);

          if (last->text_owned)
            {
              last->text = g_realloc (last->text, size);
            }
          else
            {
              char *moved = g_malloc (size);

              memcpy (moved, last->text, last->text_len + 1);
              last->text = moved;
              last->text_owned = TRUE;
            }
          last->text_size = size;
        }
      memcpy (last->text + last->text_len, text, len);
      last->text_len += len;
      last->text[last->text_len] = '\0';
      return;
    }

  append_child (self, xmpp_element_new_text (text, len));
}

/* Drops the reference at @index, keeping the order of the others. */
static void
remove_child_at (XmppElement *self,
                 guint        index)
{
  XmppElement *child = self->children[index];

  memmove (&self->children[index], &self->children[index + 1],
           (self->n_children - index - 1) * sizeof (XmppElement *));
  self->n_children--;
  xmpp_element_unref (child);
}

gboolean
xmpp_element_remove_child (XmppElement *self,
                           XmppElement *child)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (child != NULL, FALSE);

  /* @child is looked at only once found: a caller may ask to remove
   * what it no longer holds. */
  for (guint i = 0; i < self->n_children; i++)
    if (self->children[i] == child)
      {
        if (child->name == NULL)
          invalidate_text (self);
        remove_child_at (self, i);
        return TRUE;
      }
  return FALSE;
}

void
xmpp_element_remove_children (XmppElement *self,
                              const char  *ns,
                              const char  *name)
{
  guint kept = 0;

  g_return_if_fail (self != NULL);

  if (ns == NULL)
    ns = self->ns;

  /* One pass: kept children move to the front, removed ones to the back,
   * and are released only after the last comparison, since @ns or @name
   * may belong to one of them. */
  for (guint i = 0; i < self->n_children; i++)
    {
      XmppElement *child = self->children[i];

      if (!element_is (child, ns, name))
        {
          self->children[i] = self->children[kept];
          self->children[kept++] = child;
        }
    }
  while (self->n_children > kept)
    xmpp_element_unref (self->children[--self->n_children]);
}

guint
xmpp_element_get_n_nodes (XmppElement *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->n_children;
}

XmppElement *
xmpp_element_get_node (XmppElement *self,
                       guint        index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->n_children, NULL);
  return self->children[index];
}

XmppElement *
xmpp_element_next_child (XmppElement *self,
                         XmppElement *previous)
{
  guint i = 0;

  g_return_val_if_fail (self != NULL, NULL);

  if (previous != NULL)
    {
      /* Where the last call stopped, so that walking all children is
       * linear; otherwise search (children may be shared, so they know
       * neither their parent nor their index). */
      i = self->child_hint;
      if (i >= self->n_children || self->children[i] != previous)
        {
          for (i = 0; i < self->n_children && self->children[i] != previous; i++)
            ;
          if (i == self->n_children)
            return NULL;
        }
      i++;
    }

  for (; i < self->n_children; i++)
    {
      XmppElement *child = self->children[i];

      if (child->name != NULL)
        {
          self->child_hint = i;
          return child;
        }
    }
  return NULL;
}

XmppElement *
xmpp_element_find_child (XmppElement *self,
                         const char  *ns,
                         const char  *name)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (ns == NULL)
    ns = self->ns;

  for (guint i = 0; i < self->n_children; i++)
    {
      XmppElement *child = self->children[i];

      if (element_is (child, ns, name))
        return child;
    }
  return NULL;
}

const char *
xmpp_element_get_text (XmppElement *self)
{
  XmppElement *first = NULL;
  gsize len = 0;
  guint n_text = 0;
  char *p;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->text != NULL)
    return self->text;

  for (guint i = 0; i < self->n_children; i++)
    {
      XmppElement *child = self->children[i];

      if (child->name == NULL)
        {
          if (first == NULL)
            first = child;
          len += child->text_len;
          n_text++;
        }
    }
  if (n_text == 0)
    return "";

  /* A text node changes only through add_text() on a parent holding its
   * only reference, and that parent drops its cache: a single one can
   * lend its text. */
  if (n_text == 1)
    {
      self->text = first->text;
      self->text_owned = FALSE;
      return self->text;
    }

  self->text = p = g_malloc (len + 1);
  self->text_owned = TRUE;
  for (guint i = 0; i < self->n_children; i++)
    {
      XmppElement *child = self->children[i];

      if (child->name == NULL)
        p = g_stpcpy (p, child->text);
    }
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

/* Serialisation */

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

  if (parent_ns == NULL || !str_equal (parent_ns, self->ns))
    {
      g_string_append (out, " xmlns='");
      xmpp_escape_attribute (out, self->ns, -1);
      g_string_append_c (out, '\'');
    }

  for (guint i = 0; i < self->n_attrs; i++)
    {
      XmppAttribute *attr = &self->attrs[i];

      g_string_append_c (out, ' ');
      if (attr->ns == NULL)
        {
          g_string_append (out, attr->name);
        }
      else if (str_equal (attr->ns, XMPP_NS_XML))
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

  if (self->n_children == 0)
    {
      g_string_append (out, "/>");
      return;
    }

  g_string_append_c (out, '>');
  for (guint i = 0; i < self->n_children; i++)
    xmpp_element_serialize (self->children[i], out, self->ns);
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
