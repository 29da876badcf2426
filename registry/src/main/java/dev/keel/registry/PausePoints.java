package dev.keel.registry;

/**
 * Named steps where a test can stop a registry write to kill the process at exactly that moment: with
 * {@code -Dkeel.registry.pauseAt=STEP} the process prints {@code KEEL-PAUSED STEP} on stdout when it reaches
 * the step and then waits forever. Unset (always, outside the crash tests) it costs one property read.
 */
final class PausePoints {
    static final String PROPERTY = "keel.registry.pauseAt";
    /** Register: the files are copied and moved to NAME/VERSION, the rows are inserted, not yet committed. */
    static final String REGISTER_BEFORE_COMMIT = "register.before-commit";
    /** Register: the files are half copied into the staging folder. */
    static final String REGISTER_COPYING = "register.copying";
    /** Alias move: the alias row is updated and the event appended, not yet committed. */
    static final String ALIAS_BEFORE_COMMIT = "alias.before-commit";

    private PausePoints() { }

    static void reach(String step) {
        if (step.equals(System.getProperty(PROPERTY))) {
            System.out.println("KEEL-PAUSED " + step);
            System.out.flush();
            try {
                Thread.sleep(Long.MAX_VALUE);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
