// Package geo holds pure geometry on top of paulmach/orb: validation against
// RFC 7946, ring winding, and parsing of bounding boxes. It does no I/O.
package geo
