package dev.keel.adapters;

import dev.keel.api.adapt.Adapter;

/** An {@link Adapter} that takes the extra {@link AdaptOptions}; callers check with instanceof. */
public interface TunableAdapter extends Adapter {
    Adapter withOptions(AdaptOptions options);
}
