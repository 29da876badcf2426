/** What starts a continuous-learning round: alerts, feedback counts, intervals or a call by hand, coalesced. */
package dev.keel.iterate.trigger;
