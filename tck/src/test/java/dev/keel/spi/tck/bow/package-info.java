/**
 * "bow", a minimal backend written for the compatibility kit's own tests: what a first plugin looks like, and
 * what the kit tells its author.
 */
package dev.keel.spi.tck.bow;
