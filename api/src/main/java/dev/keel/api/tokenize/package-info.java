/** The tokenizer contract shared by every backend; implementations live in the SPI module. */
package dev.keel.api.tokenize;
