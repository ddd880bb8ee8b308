package reminders

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	mail "github.com/wneessen/go-mail"
)

// SMTPMailer sends through the server named by smtp.url:
//
//	smtp://[user:pass@]host[:port][?starttls=mandatory|opportunistic|none]  (default port 587, STARTTLS required)
//	smtps://[user:pass@]host[:port]                                          (implicit TLS, default port 465)
type SMTPMailer struct {
	From string
	opts []mail.Option
	host string
}

// NewSMTPMailer parses rawURL; from is the sender address.
func NewSMTPMailer(rawURL, from string) (*SMTPMailer, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("smtp.url: want smtp://host[:port] or smtps://host[:port]")
	}
	var opts []mail.Option
	port := 587
	switch u.Scheme {
	case "smtp":
		policy := mail.TLSMandatory
		switch u.Query().Get("starttls") {
		case "", "mandatory":
		case "opportunistic":
			policy = mail.TLSOpportunistic
		case "none":
			policy = mail.NoTLS
		default:
			return nil, fmt.Errorf("smtp.url: starttls must be mandatory, opportunistic or none")
		}
		opts = append(opts, mail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		opts = append(opts, mail.WithSSL())
	default:
		return nil, fmt.Errorf("smtp.url: scheme must be smtp or smtps, got %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("smtp.url: bad port %q", p)
		}
	}
	opts = append(opts, mail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	return &SMTPMailer{From: from, opts: opts, host: u.Hostname()}, nil
}

// Send delivers one plain-text message to every recipient.
func (m *SMTPMailer) Send(ctx context.Context, to []string, subject, body string) error {
	msg := mail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return fmt.Errorf("smtp: sender: %w", err)
	}
	if err := msg.To(to...); err != nil {
		return fmt.Errorf("smtp: recipients: %w", err)
	}
	msg.Subject(subject)
	msg.SetBodyString(mail.TypeTextPlain, body)
	client, err := mail.NewClient(m.host, m.opts...)
	if err != nil {
		return err
	}
	return client.DialAndSendWithContext(ctx, msg)
}
