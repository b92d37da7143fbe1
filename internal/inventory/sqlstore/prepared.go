package sqlstore

import "github.com/cdlc/cdlc/internal/platform/db"

// The bulk paths' batched, prepared statements (see db.StmtCache), under
// the short names this package uses.
type (
	shape     = db.Shape
	stmtCache = db.StmtCache
	scanner   = db.Scanner
)

var (
	newShape = db.NewShape
	inShape  = db.InShape
	idChunks = db.IDChunks
)
