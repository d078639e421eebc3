/* xmpp-dataform.c: data forms (XEP-0004) with media (XEP-0221) */
#include "config.h"

#include <string.h>

#include "xmpp-dataform.h"
#include "xmpp-error.h"
#include "xmpp-jid.h"

static const char * const form_types[] = { "form", "submit", "cancel", "result" };

static const char * const field_types[] = {
  "boolean", "fixed", "hidden", "jid-multi", "jid-single",
  "list-multi", "list-single", "text-multi", "text-private", "text-single",
};

const char *
xmpp_data_field_type_to_string (XmppDataFieldType type)
{
  g_return_val_if_fail (type <= XMPP_DATA_FIELD_TEXT_SINGLE, NULL);
  return field_types[type];
}

XmppDataFieldType
xmpp_data_field_type_from_string (const char *name)
{
  if (name != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (field_types); i++)
      if (strcmp (field_types[i], name) == 0)
        return (XmppDataFieldType) i;
  return XMPP_DATA_FIELD_TEXT_SINGLE;
}

static void
option_free (XmppDataOption *option)
{
  g_free (option->label);
  g_free (option->value);
  g_free (option);
}

static void
media_uri_free (XmppDataMediaUri *uri)
{
  g_free (uri->type);
  g_free (uri->uri);
  g_free (uri);
}

static XmppDataField *
field_new (const char        *var,
           XmppDataFieldType  type)
{
  XmppDataField *field = g_new0 (XmppDataField, 1);

  field->var = g_strdup (var);
  field->type = type;
  field->values = g_new0 (char *, 1);
  field->options = g_ptr_array_new_with_free_func ((GDestroyNotify) option_free);
  field->media = g_ptr_array_new_with_free_func ((GDestroyNotify) media_uri_free);
  return field;
}

static void
field_free (XmppDataField *field)
{
  g_free (field->var);
  g_free (field->label);
  g_free (field->desc);
  g_strfreev (field->values);
  g_ptr_array_unref (field->options);
  g_ptr_array_unref (field->media);
  g_free (field);
}

static XmppDataForm *
form_new (XmppDataFormType type)
{
  XmppDataForm *form = g_new0 (XmppDataForm, 1);

  form->type = type;
  form->instructions = g_new0 (char *, 1);
  form->fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  return form;
}

void
xmpp_data_form_free (XmppDataForm *form)
{
  if (form == NULL)
    return;
  g_free (form->title);
  g_strfreev (form->instructions);
  g_ptr_array_unref (form->fields);
  g_free (form);
}

static guint
parse_dimension (const char *text)
{
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &value, NULL))
    return 0;
  return (guint) value;
}

/* XEP-0221: <media height width><uri type>…</uri>…</media> */
static void
parse_media (XmppDataField *field,
             XmppElement   *media)
{
  field->media_width = parse_dimension (xmpp_element_get_attribute (media, "width"));
  field->media_height = parse_dimension (xmpp_element_get_attribute (media, "height"));
  for (XmppElement *child = xmpp_element_next_child (media, NULL);
       child != NULL;
       child = xmpp_element_next_child (media, child))
    {
      XmppDataMediaUri *uri;

      if (!xmpp_element_is (child, XMPP_NS_MEDIA_ELEMENT, "uri"))
        continue;
      uri = g_new0 (XmppDataMediaUri, 1);
      uri->type = g_strdup (xmpp_element_get_attribute (child, "type"));
      /* The XEP's own examples put the URI on a line of its own. */
      uri->uri = g_strstrip (g_strdup (xmpp_element_get_text (child)));
      if (*uri->uri == '\0')
        media_uri_free (uri);
      else
        g_ptr_array_add (field->media, uri);
    }
}

static XmppDataField *
parse_field (XmppElement *element)
{
  XmppDataFieldType type = xmpp_data_field_type_from_string (xmpp_element_get_attribute (element, "type"));
  XmppDataField *field = field_new (xmpp_element_get_attribute (element, "var"), type);
  g_autoptr(GPtrArray) values = g_ptr_array_new ();

  field->label = g_strdup (xmpp_element_get_attribute (element, "label"));
  for (XmppElement *child = xmpp_element_next_child (element, NULL);
       child != NULL;
       child = xmpp_element_next_child (element, child))
    {
      if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "value"))
        g_ptr_array_add (values, g_strdup (xmpp_element_get_text (child)));
      else if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "desc") && field->desc == NULL)
        field->desc = g_strdup (xmpp_element_get_text (child));
      else if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "required"))
        field->required = TRUE;
      else if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "option"))
        {
          const char *value = xmpp_element_find_child_text (child, XMPP_NS_DATA_FORM, "value");
          XmppDataOption *option;

          if (value == NULL)
            continue;
          option = g_new0 (XmppDataOption, 1);
          option->label = g_strdup (xmpp_element_get_attribute (child, "label"));
          option->value = g_strdup (value);
          g_ptr_array_add (field->options, option);
        }
      else if (xmpp_element_is (child, XMPP_NS_MEDIA_ELEMENT, "media") && field->media->len == 0)
        parse_media (field, child);
    }
  g_ptr_array_add (values, NULL);
  g_strfreev (field->values);
  field->values = (GStrv) g_ptr_array_free (g_steal_pointer (&values), FALSE);
  return field;
}

XmppDataForm *
xmpp_data_form_parse (XmppElement  *x,
                      GError      **error)
{
  g_autoptr(XmppDataForm) form = NULL;
  g_autoptr(GPtrArray) instructions = NULL;
  const char *type;
  guint i;

  g_return_val_if_fail (x != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!xmpp_element_is (x, XMPP_NS_DATA_FORM, "x"))
    {
      g_set_error_literal (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL, "Not a data form");
      return NULL;
    }
  type = xmpp_element_get_attribute (x, "type");
  for (i = 0; i < G_N_ELEMENTS (form_types); i++)
    if (g_strcmp0 (type, form_types[i]) == 0)
      break;
  if (i == G_N_ELEMENTS (form_types))
    {
      g_set_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                   "The data form's type “%s” is not one of XEP-0004's", type != NULL ? type : "");
      return NULL;
    }

  form = form_new ((XmppDataFormType) i);
  instructions = g_ptr_array_new ();
  for (XmppElement *child = xmpp_element_next_child (x, NULL);
       child != NULL;
       child = xmpp_element_next_child (x, child))
    {
      if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "title") && form->title == NULL)
        form->title = g_strdup (xmpp_element_get_text (child));
      else if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "instructions"))
        g_ptr_array_add (instructions, g_strdup (xmpp_element_get_text (child)));
      else if (xmpp_element_is (child, XMPP_NS_DATA_FORM, "field"))
        {
          XmppDataField *field = parse_field (child);

          /* Only fixed fields may go without a var (§3.2); one that can
           * neither be shown nor answered is left out. */
          if (field->var == NULL && field->type != XMPP_DATA_FIELD_FIXED)
            {
              field_free (field);
              continue;
            }
          if (field->var != NULL && xmpp_data_form_get_field (form, field->var) != NULL)
            {
              g_set_error (error, XMPP_ERROR, XMPP_ERROR_PROTOCOL,
                           "Two fields of the data form are named “%s”", field->var);
              field_free (field);
              return NULL;
            }
          g_ptr_array_add (form->fields, field);
        }
      /* <reported/> and <item/> belong to results with several items,
       * which no form we answer has. */
    }
  g_ptr_array_add (instructions, NULL);
  g_strfreev (form->instructions);
  form->instructions = (GStrv) g_ptr_array_free (g_steal_pointer (&instructions), FALSE);
  return g_steal_pointer (&form);
}

XmppDataField *
xmpp_data_form_get_field (XmppDataForm *form,
                          const char   *var)
{
  g_return_val_if_fail (form != NULL, NULL);
  g_return_val_if_fail (var != NULL, NULL);

  for (guint i = 0; i < form->fields->len; i++)
    {
      XmppDataField *field = g_ptr_array_index (form->fields, i);

      if (g_strcmp0 (field->var, var) == 0)
        return field;
    }
  return NULL;
}

const char *
xmpp_data_form_get_form_type (XmppDataForm *form)
{
  XmppDataField *field;

  g_return_val_if_fail (form != NULL, NULL);

  field = xmpp_data_form_get_field (form, "FORM_TYPE");
  if (field == NULL || field->type != XMPP_DATA_FIELD_HIDDEN)
    return NULL;
  return xmpp_data_field_get_value (field);
}

XmppDataForm *
xmpp_data_form_new_submit (XmppDataForm *form)
{
  XmppDataForm *submit;

  g_return_val_if_fail (form != NULL, NULL);

  submit = form_new (XMPP_DATA_FORM_SUBMIT);
  for (guint i = 0; i < form->fields->len; i++)
    {
      XmppDataField *field = g_ptr_array_index (form->fields, i);
      XmppDataField *copy;

      if (field->type == XMPP_DATA_FIELD_FIXED || field->var == NULL)
        continue;
      copy = field_new (field->var, field->type);
      copy->required = field->required;
      g_strfreev (copy->values);
      copy->values = g_strdupv (field->values);
      for (guint j = 0; j < field->options->len; j++)
        {
          XmppDataOption *option = g_ptr_array_index (field->options, j);
          XmppDataOption *option_copy = g_new0 (XmppDataOption, 1);

          option_copy->label = g_strdup (option->label);
          option_copy->value = g_strdup (option->value);
          g_ptr_array_add (copy->options, option_copy);
        }
      g_ptr_array_add (submit->fields, copy);
    }
  return submit;
}

void
xmpp_data_form_set_values (XmppDataForm       *form,
                           const char         *var,
                           const char * const *values)
{
  XmppDataField *field;

  g_return_if_fail (form != NULL);
  g_return_if_fail (var != NULL);

  field = xmpp_data_form_get_field (form, var);
  if (field == NULL)
    {
      /* XEP-0004 §3.2: a submission may carry fields the form did not
       * have; the service ignores those it does not know. */
      field = field_new (var, XMPP_DATA_FIELD_TEXT_SINGLE);
      g_ptr_array_add (form->fields, field);
    }
  g_strfreev (field->values);
  field->values = values != NULL ? g_strdupv ((GStrv) values) : g_new0 (char *, 1);
}

void
xmpp_data_form_set_value (XmppDataForm *form,
                          const char   *var,
                          const char   *value)
{
  const char *values[] = { value, NULL };

  xmpp_data_form_set_values (form, var, values);
}

void
xmpp_data_form_set_boolean (XmppDataForm *form,
                            const char   *var,
                            gboolean      value)
{
  xmpp_data_form_set_value (form, var, value ? "1" : "0");
}

static void
add_values (XmppElement   *element,
            XmppDataField *field)
{
  for (guint j = 0; field->values[j] != NULL; j++)
    {
      /* text-multi: one value a line (§3.3); a value never holds a line break. */
      if (field->type == XMPP_DATA_FIELD_TEXT_MULTI || field->type == XMPP_DATA_FIELD_JID_MULTI)
        {
          g_auto(GStrv) lines = g_strsplit (field->values[j], "\n", -1);

          for (guint k = 0; lines[k] != NULL; k++)
            {
              g_strchomp (lines[k]);   /* a CR of CR LF */
              if (field->type == XMPP_DATA_FIELD_JID_MULTI && *g_strstrip (lines[k]) == '\0')
                continue;
              xmpp_element_add_child_with_text (element, XMPP_NS_DATA_FORM, "value", lines[k]);
            }
        }
      else
        xmpp_element_add_child_with_text (element, XMPP_NS_DATA_FORM, "value", field->values[j]);
    }
}

XmppElement *
xmpp_data_form_to_element (XmppDataForm *form)
{
  XmppElement *x;

  g_return_val_if_fail (form != NULL, NULL);

  x = xmpp_element_new (XMPP_NS_DATA_FORM, "x");
  xmpp_element_set_attribute (x, "type", form_types[form->type]);
  if (form->title != NULL)
    xmpp_element_add_child_with_text (x, XMPP_NS_DATA_FORM, "title", form->title);
  for (guint i = 0; form->instructions[i] != NULL; i++)
    xmpp_element_add_child_with_text (x, XMPP_NS_DATA_FORM, "instructions", form->instructions[i]);

  for (guint i = 0; i < form->fields->len; i++)
    {
      XmppDataField *field = g_ptr_array_index (form->fields, i);
      gboolean empty = field->values[0] == NULL
                       || (field->values[1] == NULL && *field->values[0] == '\0');
      XmppElement *element;

      if (form->type == XMPP_DATA_FORM_SUBMIT)
        {
          if (field->type == XMPP_DATA_FIELD_FIXED || field->var == NULL)
            continue;
          /* Hidden fields go back as they came (§3.3); optional fields
           * without an answer may be left out. */
          if (empty && !field->required && field->type != XMPP_DATA_FIELD_HIDDEN)
            continue;
        }

      element = xmpp_element_add_child_new (x, XMPP_NS_DATA_FORM, "field");
      if (field->var != NULL)
        xmpp_element_set_attribute (element, "var", field->var);
      /* In a submission the type says nothing the service does not know,
       * except for FORM_TYPE, which XEP-0068 asks to mark hidden. */
      if (form->type != XMPP_DATA_FORM_SUBMIT || field->type == XMPP_DATA_FIELD_HIDDEN)
        xmpp_element_set_attribute (element, "type", field_types[field->type]);
      if (form->type != XMPP_DATA_FORM_SUBMIT)
        {
          if (field->label != NULL)
            xmpp_element_set_attribute (element, "label", field->label);
          if (field->desc != NULL)
            xmpp_element_add_child_with_text (element, XMPP_NS_DATA_FORM, "desc", field->desc);
          if (field->required)
            xmpp_element_add_child_new (element, XMPP_NS_DATA_FORM, "required");
        }
      add_values (element, field);
      if (form->type != XMPP_DATA_FORM_SUBMIT)
        for (guint j = 0; j < field->options->len; j++)
          {
            XmppDataOption *option = g_ptr_array_index (field->options, j);
            XmppElement *child = xmpp_element_add_child_new (element, XMPP_NS_DATA_FORM, "option");

            if (option->label != NULL)
              xmpp_element_set_attribute (child, "label", option->label);
            xmpp_element_add_child_with_text (child, XMPP_NS_DATA_FORM, "value", option->value);
          }
    }
  return x;
}

const char *
xmpp_data_field_get_value (XmppDataField *field)
{
  g_return_val_if_fail (field != NULL, NULL);
  return field->values[0];
}

gboolean
xmpp_data_field_get_boolean (XmppDataField *field)
{
  const char *value;

  g_return_val_if_fail (field != NULL, FALSE);

  value = field->values[0];
  return g_strcmp0 (value, "1") == 0 || g_strcmp0 (value, "true") == 0;
}

static gboolean
is_option (XmppDataField *field,
           const char    *value)
{
  for (guint i = 0; i < field->options->len; i++)
    if (strcmp (((XmppDataOption *) g_ptr_array_index (field->options, i))->value, value) == 0)
      return TRUE;
  return FALSE;
}

gboolean
xmpp_data_field_is_valid (XmppDataField *field)
{
  gboolean any = FALSE;

  g_return_val_if_fail (field != NULL, FALSE);

  for (guint i = 0; field->values[i] != NULL; i++)
    {
      const char *value = field->values[i];

      if (*value != '\0')
        any = TRUE;
      switch (field->type)
        {
        case XMPP_DATA_FIELD_BOOLEAN:
          if (strcmp (value, "0") != 0 && strcmp (value, "1") != 0
              && strcmp (value, "false") != 0 && strcmp (value, "true") != 0)
            return FALSE;
          break;
        case XMPP_DATA_FIELD_LIST_SINGLE:
        case XMPP_DATA_FIELD_LIST_MULTI:
          /* An empty value is "none chosen"; options may be absent when
           * the service accepts anything (§3.3 allows that for lists). */
          if (*value != '\0' && field->options->len > 0 && !is_option (field, value))
            return FALSE;
          break;
        case XMPP_DATA_FIELD_JID_SINGLE:
        case XMPP_DATA_FIELD_JID_MULTI:
          if (*value != '\0')
            {
              g_autoptr(XmppJid) jid = xmpp_jid_new (value, NULL);

              if (jid == NULL)
                return FALSE;
            }
          break;
        case XMPP_DATA_FIELD_FIXED:
        case XMPP_DATA_FIELD_HIDDEN:
        case XMPP_DATA_FIELD_TEXT_MULTI:
        case XMPP_DATA_FIELD_TEXT_PRIVATE:
        case XMPP_DATA_FIELD_TEXT_SINGLE:
        default:
          break;
        }
    }
  if (field->values[0] != NULL && field->values[1] != NULL
      && (field->type == XMPP_DATA_FIELD_BOOLEAN || field->type == XMPP_DATA_FIELD_LIST_SINGLE
          || field->type == XMPP_DATA_FIELD_JID_SINGLE || field->type == XMPP_DATA_FIELD_TEXT_SINGLE
          || field->type == XMPP_DATA_FIELD_TEXT_PRIVATE))
    return FALSE;
  return any || !field->required || field->type == XMPP_DATA_FIELD_HIDDEN;
}

const char *
xmpp_data_media_uri_get_cid (const XmppDataMediaUri *uri)
{
  g_return_val_if_fail (uri != NULL, NULL);

  if (g_ascii_strncasecmp (uri->uri, "cid:", 4) != 0 || uri->uri[4] == '\0')
    return NULL;
  return uri->uri + 4;
}
