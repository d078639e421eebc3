/* xmpp-error.c: error domains and condition names */
#include "config.h"

#include <string.h>

#include "xmpp-error.h"

G_DEFINE_QUARK (xmpp-error-quark, xmpp_error)
G_DEFINE_QUARK (xmpp-stream-error-quark, xmpp_stream_error)
G_DEFINE_QUARK (xmpp-stanza-error-quark, xmpp_stanza_error)
G_DEFINE_QUARK (xmpp-sasl-error-quark, xmpp_sasl_error)

static const char * const stream_conditions[] = {
  [XMPP_STREAM_ERROR_BAD_FORMAT] = "bad-format",
  [XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX] = "bad-namespace-prefix",
  [XMPP_STREAM_ERROR_CONFLICT] = "conflict",
  [XMPP_STREAM_ERROR_CONNECTION_TIMEOUT] = "connection-timeout",
  [XMPP_STREAM_ERROR_HOST_GONE] = "host-gone",
  [XMPP_STREAM_ERROR_HOST_UNKNOWN] = "host-unknown",
  [XMPP_STREAM_ERROR_IMPROPER_ADDRESSING] = "improper-addressing",
  [XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR] = "internal-server-error",
  [XMPP_STREAM_ERROR_INVALID_FROM] = "invalid-from",
  [XMPP_STREAM_ERROR_INVALID_NAMESPACE] = "invalid-namespace",
  [XMPP_STREAM_ERROR_INVALID_XML] = "invalid-xml",
  [XMPP_STREAM_ERROR_NOT_AUTHORIZED] = "not-authorized",
  [XMPP_STREAM_ERROR_NOT_WELL_FORMED] = "not-well-formed",
  [XMPP_STREAM_ERROR_POLICY_VIOLATION] = "policy-violation",
  [XMPP_STREAM_ERROR_REMOTE_CONNECTION_FAILED] = "remote-connection-failed",
  [XMPP_STREAM_ERROR_RESET] = "reset",
  [XMPP_STREAM_ERROR_RESOURCE_CONSTRAINT] = "resource-constraint",
  [XMPP_STREAM_ERROR_RESTRICTED_XML] = "restricted-xml",
  [XMPP_STREAM_ERROR_SEE_OTHER_HOST] = "see-other-host",
  [XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN] = "system-shutdown",
  [XMPP_STREAM_ERROR_UNDEFINED_CONDITION] = "undefined-condition",
  [XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING] = "unsupported-encoding",
  [XMPP_STREAM_ERROR_UNSUPPORTED_FEATURE] = "unsupported-feature",
  [XMPP_STREAM_ERROR_UNSUPPORTED_STANZA_TYPE] = "unsupported-stanza-type",
  [XMPP_STREAM_ERROR_UNSUPPORTED_VERSION] = "unsupported-version",
};

static const struct {
  const char *name;
  const char *type;
} stanza_conditions[] = {
  [XMPP_STANZA_ERROR_BAD_REQUEST] = { "bad-request", "modify" },
  [XMPP_STANZA_ERROR_CONFLICT] = { "conflict", "cancel" },
  [XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED] = { "feature-not-implemented", "cancel" },
  [XMPP_STANZA_ERROR_FORBIDDEN] = { "forbidden", "auth" },
  [XMPP_STANZA_ERROR_GONE] = { "gone", "cancel" },
  [XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR] = { "internal-server-error", "cancel" },
  [XMPP_STANZA_ERROR_ITEM_NOT_FOUND] = { "item-not-found", "cancel" },
  [XMPP_STANZA_ERROR_JID_MALFORMED] = { "jid-malformed", "modify" },
  [XMPP_STANZA_ERROR_NOT_ACCEPTABLE] = { "not-acceptable", "modify" },
  [XMPP_STANZA_ERROR_NOT_ALLOWED] = { "not-allowed", "cancel" },
  [XMPP_STANZA_ERROR_NOT_AUTHORIZED] = { "not-authorized", "auth" },
  [XMPP_STANZA_ERROR_POLICY_VIOLATION] = { "policy-violation", "modify" },
  [XMPP_STANZA_ERROR_RECIPIENT_UNAVAILABLE] = { "recipient-unavailable", "wait" },
  [XMPP_STANZA_ERROR_REDIRECT] = { "redirect", "modify" },
  [XMPP_STANZA_ERROR_REGISTRATION_REQUIRED] = { "registration-required", "auth" },
  [XMPP_STANZA_ERROR_REMOTE_SERVER_NOT_FOUND] = { "remote-server-not-found", "cancel" },
  [XMPP_STANZA_ERROR_REMOTE_SERVER_TIMEOUT] = { "remote-server-timeout", "wait" },
  [XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT] = { "resource-constraint", "wait" },
  [XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE] = { "service-unavailable", "cancel" },
  [XMPP_STANZA_ERROR_SUBSCRIPTION_REQUIRED] = { "subscription-required", "auth" },
  [XMPP_STANZA_ERROR_UNDEFINED_CONDITION] = { "undefined-condition", "cancel" },
  [XMPP_STANZA_ERROR_UNEXPECTED_REQUEST] = { "unexpected-request", "wait" },
};

static const char * const sasl_conditions[] = {
  [XMPP_SASL_ERROR_ABORTED] = "aborted",
  [XMPP_SASL_ERROR_ACCOUNT_DISABLED] = "account-disabled",
  [XMPP_SASL_ERROR_CREDENTIALS_EXPIRED] = "credentials-expired",
  [XMPP_SASL_ERROR_ENCRYPTION_REQUIRED] = "encryption-required",
  [XMPP_SASL_ERROR_INCORRECT_ENCODING] = "incorrect-encoding",
  [XMPP_SASL_ERROR_INVALID_AUTHZID] = "invalid-authzid",
  [XMPP_SASL_ERROR_INVALID_MECHANISM] = "invalid-mechanism",
  [XMPP_SASL_ERROR_MALFORMED_REQUEST] = "malformed-request",
  [XMPP_SASL_ERROR_MECHANISM_TOO_WEAK] = "mechanism-too-weak",
  [XMPP_SASL_ERROR_NOT_AUTHORIZED] = "not-authorized",
  [XMPP_SASL_ERROR_TEMPORARY_AUTH_FAILURE] = "temporary-auth-failure",
};

const char *
xmpp_stream_condition_to_string (XmppStreamErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stream_conditions))
    return "undefined-condition";
  return stream_conditions[code];
}

XmppStreamErrorCode
xmpp_stream_condition_from_string (const char *name)
{
  if (name != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (stream_conditions); i++)
      if (strcmp (stream_conditions[i], name) == 0)
        return (XmppStreamErrorCode) i;
  return XMPP_STREAM_ERROR_UNDEFINED_CONDITION;
}

const char *
xmpp_stanza_condition_to_string (XmppStanzaErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stanza_conditions))
    return "undefined-condition";
  return stanza_conditions[code].name;
}

const char *
xmpp_stanza_condition_default_type (XmppStanzaErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stanza_conditions))
    return "cancel";
  return stanza_conditions[code].type;
}

XmppStanzaErrorCode
xmpp_stanza_condition_from_string (const char *name)
{
  if (name != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (stanza_conditions); i++)
      if (strcmp (stanza_conditions[i].name, name) == 0)
        return (XmppStanzaErrorCode) i;
  return XMPP_STANZA_ERROR_UNDEFINED_CONDITION;
}

const char *
xmpp_sasl_condition_to_string (XmppSaslErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (sasl_conditions))
    return "not-authorized";
  return sasl_conditions[code];
}

XmppSaslErrorCode
xmpp_sasl_condition_from_string (const char *name)
{
  if (name != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (sasl_conditions); i++)
      if (strcmp (sasl_conditions[i], name) == 0)
        return (XmppSaslErrorCode) i;
  return XMPP_SASL_ERROR_NOT_AUTHORIZED;
}
