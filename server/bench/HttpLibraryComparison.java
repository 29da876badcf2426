// The measurement behind server/README.md's choice of HTTP library. Not built by Maven (it needs all four
// libraries); to run it, put it in a scratch project whose class path has org.eclipse.jetty:jetty-server:12.1.14,
// io.undertow:undertow-core:2.4.4.Final, io.vertx:vertx-core:5.0.7 and org.slf4j:slf4j-nop:2.0.17, then
//   javac -d out -cp "$CP" HttpLibraryComparison.java && java -cp "out:$CP" hb.Bench 2
// (and once more with -Dsun.net.httpserver.nodelay=true for the JDK server's fair figure).
package hb;

import java.io.*;
import java.net.*;
import java.net.http.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.*;

/** Compares HTTP servers on what an inference server needs: small-request overhead, SSE, disconnect detection. */
public class Bench {
    static final byte[] REPLY = "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":[0.1,0.2,0.3]}]}".getBytes(StandardCharsets.UTF_8);
    /** Set by the server when an SSE write fails after the client went away. */
    static final AtomicLong disconnectSeen = new AtomicLong();

    interface Srv extends AutoCloseable { int port(); }

    static byte[] event(int i) { return ("data: {\"token\":" + i + "}\n\n").getBytes(StandardCharsets.UTF_8); }

    // ---------- JDK
    static Srv jdk() throws Exception {
        var s = com.sun.net.httpserver.HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 256);
        s.setExecutor(Executors.newFixedThreadPool(64));
        s.createContext("/echo", ex -> { ex.getRequestBody().readAllBytes(); ex.getResponseHeaders().add("Content-Type","application/json"); ex.sendResponseHeaders(200, REPLY.length); ex.getResponseBody().write(REPLY); ex.close(); });
        s.createContext("/sse", ex -> { ex.getResponseHeaders().add("Content-Type","text/event-stream"); ex.sendResponseHeaders(200, 0);
            OutputStream o = ex.getResponseBody();
            try { for (int i = 0; i < 2000; i++) { o.write(event(i)); o.flush(); Thread.sleep(5); } } catch (IOException e) { disconnectSeen.set(System.nanoTime()); } catch (InterruptedException e) {}
            ex.close(); });
        s.start();
        return new Srv() { public int port() { return s.getAddress().getPort(); } public void close() { s.stop(0); ((ExecutorService) s.getExecutor()).shutdownNow(); } };
    }

    // ---------- Jetty 12 core (no servlet)
    static Srv jetty() throws Exception {
        var pool = new org.eclipse.jetty.util.thread.QueuedThreadPool(64);
        var s = new org.eclipse.jetty.server.Server(pool);
        var c = new org.eclipse.jetty.server.ServerConnector(s);
        c.setHost("127.0.0.1"); c.setPort(0); s.addConnector(c);
        s.setHandler(new org.eclipse.jetty.server.Handler.Abstract() {
            public boolean handle(org.eclipse.jetty.server.Request req, org.eclipse.jetty.server.Response res, org.eclipse.jetty.util.Callback cb) throws Exception {
                String path = req.getHttpURI().getPath();
                if (path.equals("/echo")) {
                    org.eclipse.jetty.io.Content.Source.asByteBuffer(req);
                    res.getHeaders().put("Content-Type", "application/json");
                    res.write(true, java.nio.ByteBuffer.wrap(REPLY), cb);
                    return true;
                }
                res.getHeaders().put("Content-Type", "text/event-stream");
                try (OutputStream o = org.eclipse.jetty.io.Content.Sink.asOutputStream(res)) {
                    for (int i = 0; i < 2000; i++) { o.write(event(i)); o.flush(); Thread.sleep(5); }
                    cb.succeeded();
                } catch (IOException e) { disconnectSeen.set(System.nanoTime()); cb.failed(e); }
                return true;
            }
        });
        s.start();
        return new Srv() { public int port() { return c.getLocalPort(); } public void close() throws Exception { s.stop(); } };
    }

    // ---------- Undertow (blocking handlers on its worker pool)
    static Srv undertow() {
        io.undertow.server.HttpHandler h = ex -> {
            if (ex.isInIoThread()) { ex.dispatch((io.undertow.server.HttpHandler) ex2 -> {}); }
        };
        io.undertow.server.HttpHandler blocking = new io.undertow.server.handlers.BlockingHandler(ex -> {
            if (ex.getRequestPath().equals("/echo")) {
                ex.getInputStream().readAllBytes();
                ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "application/json");
                ex.getOutputStream().write(REPLY);
                return;
            }
            ex.getResponseHeaders().put(io.undertow.util.Headers.CONTENT_TYPE, "text/event-stream");
            OutputStream o = ex.getOutputStream();
            try { for (int i = 0; i < 2000; i++) { o.write(event(i)); o.flush(); Thread.sleep(5); } } catch (IOException e) { disconnectSeen.set(System.nanoTime()); }
        });
        var s = io.undertow.Undertow.builder().addHttpListener(0, "127.0.0.1").setWorkerThreads(64).setHandler(blocking).build();
        s.start();
        int port = ((InetSocketAddress) s.getListenerInfo().get(0).getAddress()).getPort();
        return new Srv() { public int port() { return port; } public void close() { s.stop(); } };
    }

    // ---------- Vert.x 5 (event loop; blocking work would go to executeBlocking)
    static Srv vertx() throws Exception {
        var vx = io.vertx.core.Vertx.vertx();
        var srv = vx.createHttpServer(new io.vertx.core.http.HttpServerOptions().setHost("127.0.0.1").setPort(0));
        srv.requestHandler(req -> {
            if (req.path().equals("/echo")) {
                req.body().onSuccess(b -> req.response().putHeader("Content-Type", "application/json").end(io.vertx.core.buffer.Buffer.buffer(REPLY)));
                return;
            }
            var res = req.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
            res.closeHandler(v -> disconnectSeen.compareAndSet(0, System.nanoTime()));
            AtomicInteger i = new AtomicInteger();
            vx.setPeriodic(5, id -> { if (res.closed() || i.get() >= 2000) { vx.cancelTimer(id); return; } res.write(io.vertx.core.buffer.Buffer.buffer(event(i.getAndIncrement()))); });
        });
        srv.listen().toCompletionStage().toCompletableFuture().get();
        return new Srv() { public int port() { return srv.actualPort(); } public void close() throws Exception { vx.close().toCompletionStage().toCompletableFuture().get(); } };
    }

    static long[] load(int port, int clients, int perClient) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(Executors.newFixedThreadPool(clients)).build();
        byte[] body = "{\"model\":\"minilm\",\"input\":\"a short sentence to embed in a vector\"}".getBytes();
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/echo")).POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type","application/json").build();
        for (int i = 0; i < 100; i++) client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        long[] lat = new long[clients * perClient];
        AtomicInteger k = new AtomicInteger();
        ExecutorService ex = Executors.newFixedThreadPool(clients);
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < clients; c++) fs.add(ex.submit(() -> { for (int i = 0; i < perClient; i++) { long s = System.nanoTime(); client.send(req, HttpResponse.BodyHandlers.ofByteArray()); lat[k.getAndIncrement()] = System.nanoTime() - s; } return null; }));
        for (var f : fs) f.get();
        long wall = System.nanoTime() - t0;
        ex.shutdown();
        Arrays.sort(lat);
        return new long[] {lat[lat.length / 2], lat[(int) (lat.length * 0.99)], (long) (lat.length / (wall / 1e9))};
    }

    /** Reads 3 SSE events over a raw socket, closes it, and returns how long the server took to notice (ms). */
    static double disconnect(int port) throws Exception {
        disconnectSeen.set(0);
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(("GET /sse HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n").getBytes());
        BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream()));
        int events = 0;
        String line;
        while ((line = r.readLine()) != null) { if (line.contains("data:")) { if (++events == 3) break; } }
        long closed = System.nanoTime();
        s.close();
        for (int i = 0; i < 2000 && disconnectSeen.get() == 0; i++) Thread.sleep(1);
        return disconnectSeen.get() == 0 ? -1 : (disconnectSeen.get() - closed) / 1e6;
    }

    public static void main(String[] a) throws Exception {
        Map<String, Callable<Srv>> servers = new LinkedHashMap<>();
        servers.put("jdk-httpserver", Bench::jdk);
        servers.put("jetty-12", Bench::jetty);
        servers.put("undertow-2.4", Bench::undertow);
        servers.put("vertx-5", Bench::vertx);
        int rounds = Integer.parseInt(a.length > 0 ? a[0] : "2");
        for (int round = 0; round < rounds; round++) {
            for (var e : servers.entrySet()) {
                try (Srv s = e.getValue().call()) {
                    long[] one = load(s.port(), 1, 400);
                    long[] many = load(s.port(), 16, 100);
                    double d = disconnect(s.port());
                    System.out.printf("%-15s 1 client p50 %6.1f us p99 %6.1f us %6d req/s | 16 clients p50 %6.1f us p99 %7.1f us %6d req/s | SSE disconnect noticed after %.1f ms%n",
                        e.getKey(), one[0] / 1e3, one[1] / 1e3, one[2], many[0] / 1e3, many[1] / 1e3, many[2], d);
                }
            }
        }
        System.exit(0);
    }
}
