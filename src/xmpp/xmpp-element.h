/* xmpp-element.h: the element tree stanzas are built from
 *
 * An XmppElement is a reference-counted XML element: a namespace, a local
 * name, ordered attributes and ordered children.  Children are elements or
 * text nodes (an XmppElement whose name is NULL), so mixed content keeps its
 * order and a router can forward content it does not understand unchanged.
 *
 * Namespaces are stored as URIs, never as prefixes: the serialiser writes
 * an `xmlns` only where an element's namespace differs from its parent's,
 * and `xml:lang` is written with the predefined `xml` prefix.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define XMPP_NS_XML "http://www.w3.org/XML/1998/namespace"

typedef struct _XmppElement XmppElement;

XmppElement *xmpp_element_new                 (const char  *ns,
                                               const char  *name);
XmppElement *xmpp_element_new_text            (const char  *text,
                                               gssize       len);
XmppElement *xmpp_element_ref                 (XmppElement *self);
void         xmpp_element_unref               (XmppElement *self);
XmppElement *xmpp_element_copy                (XmppElement *self);

gboolean     xmpp_element_is_text             (XmppElement *self);
const char  *xmpp_element_get_name            (XmppElement *self);
const char  *xmpp_element_get_namespace       (XmppElement *self);
gboolean     xmpp_element_is                  (XmppElement *self,
                                               const char  *ns,
                                               const char  *name);

/* Attributes.  A NULL value removes the attribute. */
void         xmpp_element_set_attribute       (XmppElement *self,
                                               const char  *name,
                                               const char  *value);
void         xmpp_element_set_attribute_ns    (XmppElement *self,
                                               const char  *ns,
                                               const char  *name,
                                               const char  *value);
const char  *xmpp_element_get_attribute       (XmppElement *self,
                                               const char  *name);
const char  *xmpp_element_get_attribute_ns    (XmppElement *self,
                                               const char  *ns,
                                               const char  *name);
guint        xmpp_element_get_n_attributes    (XmppElement *self);
void         xmpp_element_get_attribute_at    (XmppElement *self,
                                               guint        index,
                                               const char **ns,
                                               const char **name,
                                               const char **value);
/* Shortcuts for the xml:lang attribute. */
const char  *xmpp_element_get_lang            (XmppElement *self);
void         xmpp_element_set_lang            (XmppElement *self,
                                               const char  *lang);

/* Children.  add_child() takes its own reference and returns @child. */
XmppElement *xmpp_element_add_child           (XmppElement *self,
                                               XmppElement *child);
/* A new child element; a NULL @ns means the parent's namespace.
 * Returns the child, owned by @self. */
XmppElement *xmpp_element_add_child_new       (XmppElement *self,
                                               const char  *ns,
                                               const char  *name);
XmppElement *xmpp_element_add_child_with_text (XmppElement *self,
                                               const char  *ns,
                                               const char  *name,
                                               const char  *text);
void         xmpp_element_add_text            (XmppElement *self,
                                               const char  *text,
                                               gssize       len);
gboolean     xmpp_element_remove_child        (XmppElement *self,
                                               XmppElement *child);
void         xmpp_element_remove_children     (XmppElement *self,
                                               const char  *ns,
                                               const char  *name);
/* All child nodes (elements and text nodes), in document order. */
guint        xmpp_element_get_n_nodes         (XmppElement *self);
XmppElement *xmpp_element_get_node            (XmppElement *self,
                                               guint        index);
/* Iterate child elements (skipping text): pass NULL to start. */
XmppElement *xmpp_element_next_child          (XmppElement *self,
                                               XmppElement *previous);
/* First child element with this namespace and name; a NULL @ns means the
 * parent's namespace, a NULL @name any name in @ns. */
XmppElement *xmpp_element_find_child          (XmppElement *self,
                                               const char  *ns,
                                               const char  *name);
/* Concatenated text of the direct text children ("" when none). */
const char  *xmpp_element_get_text            (XmppElement *self);
/* Text of find_child(ns, name), or NULL when there is no such child. */
const char  *xmpp_element_find_child_text     (XmppElement *self,
                                               const char  *ns,
                                               const char  *name);

/* Serialisation.  @parent_ns is the namespace in scope (e.g. "jabber:client"
 * for stanzas on a c2s stream) so it is not repeated; NULL writes the xmlns
 * of the root. */
void         xmpp_element_serialize           (XmppElement *self,
                                               GString     *out,
                                               const char  *parent_ns);
char        *xmpp_element_to_string           (XmppElement *self);

/* Escaping used by the serialiser, exposed for the stream header writer. */
void         xmpp_escape_text                 (GString     *out,
                                               const char  *text,
                                               gssize       len);
void         xmpp_escape_attribute            (GString     *out,
                                               const char  *value,
                                               gssize       len);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (XmppElement, xmpp_element_unref)

G_END_DECLS
