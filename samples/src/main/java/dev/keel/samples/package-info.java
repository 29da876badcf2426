/** Small host applications and benchmark commands that show Keel in use; each prints what it measured. */
package dev.keel.samples;
