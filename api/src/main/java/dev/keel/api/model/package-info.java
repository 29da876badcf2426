/**
 * Model families and their architecture configurations, mapped one to one onto Hugging Face's
 * {@code config.json} so that a folder written by one backend, or downloaded from a model hub, loads in
 * any backend that supports the family.
 */
package dev.keel.api.model;
