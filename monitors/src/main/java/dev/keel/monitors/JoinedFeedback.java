package dev.keel.monitors;

import dev.keel.api.monitor.Feedback;
import dev.keel.api.monitor.InferenceEvent;

/** Feedback with the inference it is about (null when that call is no longer in the recent index). */
record JoinedFeedback(Feedback feedback, InferenceEvent inference, int item) { }
