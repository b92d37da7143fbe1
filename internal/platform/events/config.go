package events

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// The drivers New knows.
const (
	DriverInproc = "inproc"
	DriverNATS   = "nats"
	DriverKafka  = "kafka"
)

// Defaults applied to zero settings.
const (
	DefaultPartitions      = 8
	DefaultMaxAttempts     = 5
	DefaultRetryBackoff    = 200 * time.Millisecond
	DefaultRetryBackoffMax = 10 * time.Second
	DefaultQueueSize       = 256
	DefaultStreamPrefix    = "cdlc"
	DefaultAckWait         = 30 * time.Second
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultFetchMaxWait    = 500 * time.Millisecond
)

// Config selects and tunes the bus. Zero values take the defaults above.
type Config struct {
	// Driver is "inproc" (the default), "nats" or "kafka".
	Driver string `koanf:"driver"`
	// Partitions is how many partitions a topic is split into when the bus
	// creates it. More partitions let more keys be handled in parallel; a
	// key always stays in one partition. On NATS and Kafka the count is read
	// back from the existing stream or topic, so processes configured
	// differently still agree.
	Partitions int `koanf:"partitions"`
	// MaxAttempts is how many times a handler is tried before the message
	// goes to the dead-letter topic.
	MaxAttempts int `koanf:"max_attempts"`
	// RetryBackoff is the wait after the first failed attempt; it doubles
	// per attempt up to RetryBackoffMax, with jitter.
	RetryBackoff time.Duration `koanf:"retry_backoff"`
	// RetryBackoffMax caps the wait between attempts.
	RetryBackoffMax time.Duration `koanf:"retry_backoff_max"`
	// QueueSize bounds each in-process partition queue; a publisher waits
	// when it is full.
	QueueSize int `koanf:"queue_size"`

	// NATS configures the "nats" driver.
	NATS NATSConfig `koanf:"nats"`
	// Kafka configures the "kafka" driver.
	Kafka KafkaConfig `koanf:"kafka"`

	// Log is where the bus logs handler retries, dead letters and broker
	// errors (module "events"); nil: telemetry.Named's default.
	Log *slog.Logger `koanf:"-" json:"-" yaml:"-"`
}

// NATSConfig configures the NATS JetStream adapter.
type NATSConfig struct {
	// URL is the server, e.g. nats://127.0.0.1:4222 (a comma-separated list
	// for a cluster). It may carry credentials.
	URL string `koanf:"url" secret:"true"`
	// StreamPrefix starts every subject and stream name the bus makes, so
	// that several deployments (or tests) can share one server.
	StreamPrefix string `koanf:"stream_prefix"`
	// AckWait is how long the server waits for an acknowledgement before
	// redelivering. The bus keeps a message it is still working on alive, so
	// this only matters when a process dies.
	AckWait time.Duration `koanf:"ack_wait"`
	// Replicas is the stream replication factor (1 on a single server).
	Replicas int `koanf:"replicas"`
	// MaxAge is how long a stream keeps messages.
	MaxAge time.Duration `koanf:"max_age"`
}

// KafkaConfig configures the Kafka adapter.
type KafkaConfig struct {
	// Brokers are the seed brokers, host:port.
	Brokers []string `koanf:"brokers"`
	// ClientID names this process to the brokers (for their logs and quotas).
	ClientID string `koanf:"client_id"`
	// ReplicationFactor for topics the bus creates; 0 takes the broker's default.
	ReplicationFactor int `koanf:"replication_factor"`
	// FetchMaxWait is how long a broker may hold a fetch that has no data
	// (default 500ms, Kafka's own default). A fetch in flight delays
	// partitions assigned after it was sent (a member joining, a
	// rebalance), so franz-go's 5s default would stall those for seconds.
	FetchMaxWait time.Duration `koanf:"fetch_max_wait"`
}

// withDefaults returns c with zero settings replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.Driver == "" {
		c.Driver = DriverInproc
	}
	if c.Partitions == 0 {
		c.Partitions = DefaultPartitions
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.RetryBackoffMax == 0 {
		c.RetryBackoffMax = max(DefaultRetryBackoffMax, c.RetryBackoff)
	}
	if c.QueueSize == 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.NATS.StreamPrefix == "" {
		c.NATS.StreamPrefix = DefaultStreamPrefix
	}
	if c.NATS.AckWait == 0 {
		c.NATS.AckWait = DefaultAckWait
	}
	if c.NATS.Replicas == 0 {
		c.NATS.Replicas = 1
	}
	if c.NATS.MaxAge == 0 {
		c.NATS.MaxAge = DefaultMaxAge
	}
	if c.Kafka.ClientID == "" {
		c.Kafka.ClientID = "cdlc"
	}
	if c.Kafka.FetchMaxWait == 0 {
		c.Kafka.FetchMaxWait = DefaultFetchMaxWait
	}
	return c
}

// maxPartitions keeps a typo from creating thousands of partitions (and, on
// NATS, thousands of consumers per group).
const maxPartitions = 1024

// Validate reports the first bad setting as errs.Invalid naming its key
// under prefix (e.g. "events.nats.url").
func (c Config) Validate(prefix string) error {
	key := func(k string) string { return prefix + "." + k }
	switch c.Driver {
	case "", DriverInproc, DriverNATS, DriverKafka:
	default:
		return errs.Invalid(key("driver"), "must be inproc, nats or kafka, got %q", c.Driver)
	}
	if c.Partitions < 0 || c.Partitions > maxPartitions {
		return errs.Invalid(key("partitions"), "must be between 1 and %d (0 for the default %d), got %d", maxPartitions, DefaultPartitions, c.Partitions)
	}
	if c.MaxAttempts < 0 {
		return errs.Invalid(key("max_attempts"), "must not be negative")
	}
	if c.RetryBackoff < 0 {
		return errs.Invalid(key("retry_backoff"), "must not be negative")
	}
	if c.RetryBackoffMax < 0 {
		return errs.Invalid(key("retry_backoff_max"), "must not be negative")
	}
	if c.QueueSize < 0 {
		return errs.Invalid(key("queue_size"), "must not be negative")
	}
	switch c.Driver {
	case DriverNATS:
		if err := c.NATS.validate(prefix + ".nats"); err != nil {
			return err
		}
	case DriverKafka:
		if err := c.Kafka.validate(prefix + ".kafka"); err != nil {
			return err
		}
	}
	return nil
}

func (c NATSConfig) validate(prefix string) error {
	if strings.TrimSpace(c.URL) == "" {
		return errs.Invalid(prefix+".url", "must be set when driver is nats")
	}
	for u := range strings.SplitSeq(c.URL, ",") {
		pu, err := url.Parse(strings.TrimSpace(u))
		if err != nil || pu.Host == "" {
			return errs.Invalid(prefix+".url", "%q is not a server URL such as nats://host:4222", redactURL(u))
		}
	}
	if c.StreamPrefix != "" {
		for _, r := range c.StreamPrefix {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
				return errs.Invalid(prefix+".stream_prefix", "%q has %q; use letters, digits, '_' and '-'", c.StreamPrefix, r)
			}
		}
		if len(c.StreamPrefix) > 32 {
			return errs.Invalid(prefix+".stream_prefix", "must be at most 32 characters")
		}
	}
	if c.AckWait < 0 {
		return errs.Invalid(prefix+".ack_wait", "must not be negative")
	}
	if c.AckWait > 0 && c.AckWait < time.Second {
		return errs.Invalid(prefix+".ack_wait", "must be at least 1s, got %s", c.AckWait)
	}
	if c.Replicas < 0 || c.Replicas > 5 {
		return errs.Invalid(prefix+".replicas", "must be between 1 and 5")
	}
	if c.MaxAge < 0 {
		return errs.Invalid(prefix+".max_age", "must not be negative")
	}
	return nil
}

// redactURL drops credentials from a URL before it goes into an error,
// also when the URL is too broken to parse.
func redactURL(u string) string {
	u = strings.TrimSpace(u)
	if pu, err := url.Parse(u); err == nil {
		return pu.Redacted()
	}
	if at := strings.LastIndex(u, "@"); at >= 0 {
		start := strings.Index(u, "://") + 3
		if start < 3 || start > at {
			start = 0
		}
		return u[:start] + "xxxxx" + u[at:]
	}
	return u
}

func (c KafkaConfig) validate(prefix string) error {
	if len(c.Brokers) == 0 {
		return errs.Invalid(prefix+".brokers", "must list at least one broker when driver is kafka")
	}
	for i, b := range c.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			return errs.Invalid(fmt.Sprintf("%s.brokers[%d]", prefix, i), "%q is not host:port", b)
		}
	}
	if c.ReplicationFactor < 0 {
		return errs.Invalid(prefix+".replication_factor", "must not be negative")
	}
	if c.FetchMaxWait < 0 || c.FetchMaxWait > time.Minute {
		return errs.Invalid(prefix+".fetch_max_wait", "must be between 0 and 1m")
	}
	return nil
}

// New builds the bus that cfg.Driver names. It validates cfg first (keys
// are reported under "events"), and for NATS and Kafka checks that the
// server answers, so that a bad address fails at start-up rather than on
// the first publish.
func New(cfg Config) (Bus, error) {
	if err := cfg.Validate("events"); err != nil {
		return nil, err
	}
	switch cfg.withDefaults().Driver {
	case DriverNATS:
		return asBus(NewNATS(cfg))
	case DriverKafka:
		return asBus(NewKafka(cfg))
	default:
		return asBus(NewInproc(cfg))
	}
}

// asBus returns a nil Bus on error: a Bus holding a nil *NATSBus would not
// compare equal to nil.
func asBus[B Bus](b B, err error) (Bus, error) {
	if err != nil {
		return nil, err
	}
	return b, nil
}
