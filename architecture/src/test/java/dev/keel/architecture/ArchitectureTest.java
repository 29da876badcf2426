package dev.keel.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The dependency direction the README draws, checked on every module's main classes: samples, cli, server and
 * spark reach engines only through runtime; runtime depends on api/spi and never on a backend; backends depend on
 * api/spi (djl also on adapters) and never on each other; monitors and adapters depend on api/spi only; nothing
 * outside a backend uses its engine code. One failing rule names every offending class and call.
 */
class ArchitectureTest {
    static final String[] BACKENDS = {"dev.keel.djl..", "dev.keel.onnx..", "dev.keel.tf.."};
    static final String[] ENGINES = {"ai.djl..", "ai.onnxruntime..", "org.tensorflow..", "org.bytedeco.."};
    static JavaClasses keel;

    @BeforeAll
    static void importKeel() {
        keel = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.keel");
    }

    @Nested
    class TheStableApi {
        @Test
        void api_depends_on_nothing_but_the_jdk_and_its_stability_annotation() {
            classes().that().resideInAPackage("dev.keel.api..").should().onlyDependOnClassesThat()
                    .resideInAnyPackage("dev.keel.api..", "java..", "org.apiguardian.api..")
                    .because("hosts compile against api alone; it carries no engine, no Guice, no JSON library")
                    .check(keel);
        }

        @Test
        void spi_depends_on_api_and_never_on_wiring_backends_or_plugins() {
            // dev.keel.spi.tck is the compatibility kit's own module (keel-tck), checked below
            noClasses().that().resideInAPackage("dev.keel.spi..").and().resideOutsideOfPackage("dev.keel.spi.tck..")
                    .should().dependOnClassesThat()
                    .resideInAnyPackage("dev.keel.runtime..", "dev.keel.cli..", "dev.keel.monitors..",
                            "dev.keel.adapters..", "dev.keel.registry..", "dev.keel.djl..", "dev.keel.onnx..",
                            "dev.keel.tf..", "com.google.inject..")
                    .check(keel);
        }

        @Test
        void the_kit_tests_a_backend_through_spi_and_the_adapters_and_never_names_one() {
            noClasses().that().resideInAPackage("dev.keel.spi.tck..").should().dependOnClassesThat()
                    .resideInAnyPackage("dev.keel.runtime..", "dev.keel.cli..", "dev.keel.monitors..",
                            "dev.keel.registry..", "dev.keel.djl..", "dev.keel.onnx..", "dev.keel.tf..",
                            "com.google.inject..")
                    .check(keel);
        }
    }

    @Nested
    class Backends {
        @Test
        void a_backend_never_depends_on_another_backend_or_on_the_wiring_above_it() {
            for (String backend : BACKENDS) {
                java.util.List<String> others = new java.util.ArrayList<>(java.util.List.of(BACKENDS));
                others.remove(backend);
                others.addAll(java.util.List.of("dev.keel.runtime..", "dev.keel.cli..", "dev.keel.server..",
                        "dev.keel.samples..", "dev.keel.spark..",
                        "dev.keel.benchmarks..", "dev.keel.monitors..", "dev.keel.registry..", "com.google.inject.."));
                noClasses().that().resideInAPackage(backend).should().dependOnClassesThat()
                        .resideInAnyPackage(others.toArray(String[]::new)).check(keel);
            }
        }

        @Test
        void nothing_outside_a_backend_uses_its_engine_code_but_the_benchmarks_that_measure_it() {
            for (String backend : BACKENDS) {
                noClasses().that().resideOutsideOfPackages(backend, "dev.keel.benchmarks..").should()
                        .dependOnClassesThat().resideInAPackage(backend)
                        .because("hosts reach engines through ServiceLoader (BackendProvider), so a backend's classes "
                                + "can change in any release; benchmarks compare engine code with plain engine loops")
                        .check(keel);
            }
        }

        @Test
        void only_backends_touch_engine_libraries() {
            // DJL's Hugging Face tokenizers are a plain native library every backend shares (spi reads tokenizer.json)
            noClasses().that().resideOutsideOfPackages(concat(BACKENDS, "dev.keel.benchmarks..")).should()
                    .dependOnClassesThat(JavaClass.Predicates.resideInAnyPackage(ENGINES)
                            .and(DescribedPredicate.not(JavaClass.Predicates.resideInAPackage("ai.djl.huggingface.."))))
                    .check(keel);
        }

        @Test
        void every_class_of_a_backend_lives_in_its_internal_package() {
            for (String backend : BACKENDS) {
                String root = backend.substring(0, backend.length() - 2);
                com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes().that().resideInAPackage(backend)
                        .should().resideInAPackage(root + ".internal..")
                        .because("a backend is reached through ServiceLoader only; nothing of it is API").check(keel);
            }
        }

        @Test
        void engine_internals_live_in_internal_packages_that_only_their_backend_uses() {
            for (String backend : BACKENDS) {
                String root = backend.substring(0, backend.length() - 2);
                noClasses().that().resideOutsideOfPackages(backend, "dev.keel.benchmarks..").should()
                        .dependOnClassesThat().resideInAPackage(root + ".internal..").check(keel);
            }
        }
    }

    @Nested
    class Plugins {
        @Test
        void monitors_and_adapters_depend_on_api_and_spi_only() {
            noClasses().that().resideInAnyPackage("dev.keel.monitors..", "dev.keel.adapters..").should()
                    .dependOnClassesThat().resideInAnyPackage(concat(BACKENDS, "dev.keel.runtime..", "dev.keel.cli..",
                            "dev.keel.server..", "dev.keel.registry..", "com.google.inject.."))
                    .check(keel);
            noClasses().that().resideInAPackage("dev.keel.monitors..").should().dependOnClassesThat()
                    .resideInAPackage("dev.keel.adapters..").check(keel);
            noClasses().that().resideInAPackage("dev.keel.adapters..").should().dependOnClassesThat()
                    .resideInAPackage("dev.keel.monitors..").check(keel);
        }
    }

    @Nested
    class Wiring {
        @Test
        void runtime_reaches_backends_and_the_registry_only_through_service_loader() {
            noClasses().that().resideInAPackage("dev.keel.runtime..").should().dependOnClassesThat()
                    .resideInAnyPackage(concat(BACKENDS, "dev.keel.registry..", "dev.keel.cli..", "dev.keel.samples..",
                            "dev.keel.server.."))
                    .check(keel);
        }

        @Test
        void the_server_serves_through_the_runtime_and_never_names_an_engine() {
            noClasses().that().resideInAPackage("dev.keel.server..").should().dependOnClassesThat()
                    .resideInAnyPackage(concat(concat(BACKENDS, ENGINES), "dev.keel.cli..", "dev.keel.registry.."))
                    .check(keel);
        }

        @Test
        void spark_runs_models_through_the_runtime_and_never_names_an_engine() {
            noClasses().that().resideInAPackage("dev.keel.spark..").should().dependOnClassesThat()
                    .resideInAnyPackage(concat(concat(BACKENDS, ENGINES), "dev.keel.cli..", "dev.keel.server..",
                            "dev.keel.registry.."))
                    .because("executors open models with KeelRuntime, so any backend jar on their class path serves")
                    .check(keel);
        }

        @Test
        void guice_is_used_by_the_guice_module_alone_so_hosts_without_guice_never_load_it() {
            noClasses().that().doNotHaveFullyQualifiedName("dev.keel.runtime.KeelModule").should()
                    .dependOnClassesThat().resideInAPackage("com.google.inject..").check(keel);
        }

        @Test
        void samples_are_hosts_that_use_the_public_api_and_never_a_backend_class() {
            noClasses().that().resideInAPackage("dev.keel.samples..").should().dependOnClassesThat()
                    .resideInAnyPackage(concat(concat(BACKENDS, ENGINES), "dev.keel.cli..", "dev.keel.benchmarks.."))
                    .because("samples/ shows what a host writes; a host never names an engine (it may open the "
                            + "registry module, keel-registry, which is host-facing like keel-runtime)").check(keel);
        }
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
