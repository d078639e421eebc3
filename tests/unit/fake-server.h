/* fake-server.h: a scripted XMPP server for the client tests
 *
 * One FakeServer serves one connection in the test's own process: it
 * listens on 127.0.0.1 (or takes a stream with fake_server_attach()),
 * offers STARTTLS or speaks direct TLS with a self-signed certificate made
 * here with GnuTLS, parses what the client sends with XmppParser, answers
 * SASL with XmppSaslServer for one account and binds a resource.  A test
 * sets the script fields, calls fake_server_start() and afterwards reads
 * the state fields to check what the server saw.
 *
 *   fake_server_new ─▶ set script ─▶ fake_server_start ─▶ accept
 *     ─▶ [STARTTLS | direct TLS] ─▶ SASL ─▶ bind ─▶ [XEP-0198 enable]
 *     ─▶ stanzas (hook, pings)
 *
 * XEP-0198: offered after SASL and enabled by default (id "sm-1" with
 * sm_resume); the server counts the client's stanzas and answers <r/>
 * unless sm_manual_acks; fake_server_drop() cuts the connection the way a
 * network does and accepts the next one, where <resume/> is answered from
 * the same counts.  The server keeps no queue of its own: a test writes
 * what it wants the client to get again.
 *
 * Everything runs on the thread-default main context; WAIT_UNTIL spins it.
 */
#pragma once

#include <gio/gio.h>

#include "xmpp-client.h"
#include "xmpp-parser.h"
#include "xmpp-sasl.h"

G_BEGIN_DECLS

/* The one account the server knows. */
#define FAKE_SERVER_DOMAIN   "example.test"
#define FAKE_SERVER_USER_JID "alice@" FAKE_SERVER_DOMAIN
#define FAKE_SERVER_PASSWORD "correct horse"

/* Waiting */

#define FAKE_SERVER_TIMEOUT_S 10

guint _fake_server_timeout_add (const char *what);

/* Spin the main context until @cond holds; abort the test after
 * FAKE_SERVER_TIMEOUT_S seconds. */
#define WAIT_UNTIL(cond)                                                  \
  G_STMT_START {                                                          \
    guint _timeout = _fake_server_timeout_add (#cond);                    \
    while (!(cond))                                                       \
      g_main_context_iteration (NULL, TRUE);                              \
    g_source_remove (_timeout);                                           \
  } G_STMT_END

void drain_main_context (void);

/* Certificate */

void        fake_server_generate_certificate (void);
const char *fake_server_get_fingerprint      (void);

/* The server */

typedef enum
{
  FAKE_SERVER_SESSION_NONE,
  FAKE_SERVER_SESSION_REQUIRED,
  FAKE_SERVER_SESSION_OPTIONAL,
} FakeServerSession;

typedef enum
{
  FAKE_SERVER_SM_ENABLE,    /* offered; <enable/> gets <enabled/> */
  FAKE_SERVER_SM_NONE,      /* not offered */
  FAKE_SERVER_SM_REFUSE,    /* offered; <enable/> gets <failed/> */
  FAKE_SERVER_SM_SILENT,    /* offered; <enable/> gets no answer */
} FakeServerSm;

typedef struct _FakeServer FakeServer;

/* Sees each client stanza the server does not answer itself (bind and
 * session are answered first); returns TRUE when it handled it. */
typedef gboolean (*FakeServerHook) (FakeServer  *fs,
                                    XmppElement *stanza);

struct _FakeServer
{
  /* script: set before fake_server_start() */
  gboolean              direct_tls;
  gboolean              no_starttls;
  gboolean              raw;              /* no negotiation, header only */
  const char           *mechanisms;       /* space separated */
  gboolean              advertise_cb;
  const char           *password;
  gboolean              tamper_signature;
  FakeServerSession     session;
  gboolean              ignore_pings;
  FakeServerHook        hook;
  FakeServerSm          sm;
  gboolean              sm_resume;        /* grant resumption: id 'sm-1' */
  guint                 sm_max;           /* 'max' with sm_resume, 0: none */
  gboolean              sm_manual_acks;   /* <r/> left to the test */
  gboolean              sm_refuse_resume; /* <failed><item-not-found/> */

  /* state */
  GSocketListener      *listener;
  guint16               port;
  GIOStream            *io;
  GIOStream            *base;
  GTlsConnection       *tls;
  XmppParser           *parser;
  GCancellable         *cancellable;
  guint8                buffer[4096];
  GString              *log_plain;
  GString              *log_all;
  GPtrArray            *headers;
  GPtrArray            *elements;
  int                   stage;            /* 0 plain, 1 TLS, 2 authenticated */
  gboolean              want_tls;
  gboolean              busy;             /* accept, read or handshake pending */
  gboolean              accepted;
  XmppSaslServer       *sasl;
  XmppScramCredentials  creds[3];
  gboolean              client_closed;
  gboolean              eof;
  char                 *alpn;
  guint                 n_session_iqs;
  guint                 n_pings;
  guint                 stream_counter;
  gboolean              sm_enabled;
  guint32               sm_h;             /* client stanzas since <enable/> */
  guint                 n_sm_requests;    /* <r/> received */
  guint                 n_resumes;        /* <resume/> received */
  guint                 n_connections;
};

FakeServer  *fake_server_new           (void);
void         fake_server_start         (FakeServer  *fs);
void         fake_server_attach        (FakeServer  *fs,
                                        GIOStream   *io);
void         fake_server_free          (FakeServer  *fs);
/* Cut the connection (the socket under TLS: no close_notify, no
 * </stream:stream>) and accept the next one. */
void         fake_server_drop          (FakeServer  *fs);
void         fake_server_write         (FakeServer  *fs,
                                        const char  *data);
void         fake_server_write_element (FakeServer  *fs,
                                        XmppElement *element);
XmppElement *fake_server_find          (FakeServer  *fs,
                                        const char  *ns,
                                        const char  *name,
                                        const char  *child_ns);
XmppElement *fake_server_find_id       (FakeServer  *fs,
                                        const char  *id);
GBytes      *fake_server_decode        (const char  *text);

G_END_DECLS
