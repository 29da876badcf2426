package dev.keel.monitors;

import java.util.List;

/**
 * A monitor that knows which of its values deserve an alert out of the box (the bias monitor's four-fifths
 * rule, the drift monitor's dataset drift). The hub installs these rules unless told not to.
 */
public interface DefaultAlerts {
    List<AlertRule> defaultAlerts();
}
