/** Reading training data: corpora tokenized into cached token arrays, and labelled example files. */
package dev.keel.spi.data;
