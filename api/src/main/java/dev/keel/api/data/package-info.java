/** Descriptions of training and evaluation data: raw text corpora, labelled files and corpus splits. */
package dev.keel.api.data;
