package telemetry_test

import "github.com/cdlc/cdlc/internal/platform/telemetry/logtest"

// bytesBuffer is a bytes.Buffer safe for a logger and a test to share.
type bytesBuffer = logtest.Buffer
