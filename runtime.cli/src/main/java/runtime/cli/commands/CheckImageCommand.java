package runtime.cli.commands;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

import runtime.cli.Command;
import runtime.cli.Invocation;
import runtime.core.store.LayerAnalysis;

/**
 * {@code strata check-image IMAGE [--max-wasted SIZE] [--min-efficiency R] [--format json]}: dive's CI
 * mode. Prints the image's total, wasted bytes and efficiency ({@link LayerAnalysis}); exits 1 when a
 * threshold is broken, naming it, 0 otherwise.
 */
public final class CheckImageCommand implements Command {
    @Override
    public String name() {
        return "check-image";
    }

    @Override
    public String summary() {
        return "an image's wasted bytes and efficiency (as dive); exit 1 when --max-wasted or --min-efficiency is broken";
    }

    @Override
    public String arguments() {
        return "IMAGE";
    }

    @Override
    public List<Item> examples() {
        return List.of(new Item("strata check-image busybox", "the image's size, wasted bytes and efficiency"),
                new Item("strata check-image --max-wasted 20m --min-efficiency 0.9 app", "fail a CI job (exit 1) when the image wastes too much"),
                new Item("strata check-image --format json app", "the same figures as JSON"));
    }

    @Override
    public List<Item> exitCodes() {
        return List.of(new Item("0", "every threshold holds"), new Item("1", "a threshold is broken (a line names it)"),
                new Item("2", "wrong usage: an unknown option, a bad size or ratio"), new Item("125", "strata itself failed (one line on stderr says why)"));
    }

    @Override
    public Options options() {
        return new Options()
                .addOption(Option.builder().longOpt("max-wasted").hasArg().argName("SIZE")
                        .desc("fail when more bytes than SIZE (e.g. 0, 512k, 20m) are overwritten or deleted by later layers").build())
                .addOption(Option.builder().longOpt("min-efficiency").hasArg().argName("R")
                        .desc("fail when the efficiency (1 - wasted/total) is below R, between 0 and 1").build())
                .addOption(Option.builder().longOpt("format").hasArg().argName("FORMAT").desc("text (default) or json").build());
    }

    @Override
    public int run(Invocation in) throws Exception {
        if (in.arguments().isEmpty()) throw new Invocation.UsageException("expected one IMAGE");
        // Options may follow IMAGE too (strata check-image IMG --max-wasted 20m), as CI scripts write it.
        org.apache.commons.cli.CommandLine after;
        try {
            after = org.apache.commons.cli.DefaultParser.builder().build().parse(options(),
                    in.arguments().subList(1, in.arguments().size()).toArray(String[]::new));
        } catch (org.apache.commons.cli.ParseException e) {
            throw new Invocation.UsageException(e.getMessage());
        }
        if (!after.getArgList().isEmpty()) throw new Invocation.UsageException("expected one IMAGE, not also " + after.getArgList());
        java.util.function.BiFunction<String, String, String> value = (o, d) -> after.hasOption(o) ? after.getOptionValue(o) : in.value(o, d);
        java.util.function.Predicate<String> has = o -> after.hasOption(o) || in.has(o);
        String format = value.apply("format", "text");
        if (!format.equals("text") && !format.equals("json")) {
            throw new Invocation.UsageException("--format: want text or json, not '" + format + "'");
        }
        long maxWasted = has.test("max-wasted") ? size(value.apply("max-wasted", "")) : -1;
        double minEfficiency = has.test("min-efficiency") ? ratio(value.apply("min-efficiency", "")) : -1;
        var image = in.engine().resolveImage(in.argument(0, "IMAGE"));
        LayerAnalysis.Result r = LayerAnalysis.analyse(in.engine().store(), image);
        List<String> broken = new ArrayList<>();
        if (maxWasted >= 0 && r.wastedBytes() > maxWasted) {
            broken.add("wasted " + r.wastedBytes() + " bytes is more than --max-wasted " + maxWasted);
        }
        if (minEfficiency >= 0 && r.efficiency() < minEfficiency) {
            broken.add(String.format(Locale.ROOT, "efficiency %.4f is below --min-efficiency %s", r.efficiency(),
                    value.apply("min-efficiency", "")));
        }
        if (format.equals("json")) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("image", image.id());
            json.put("layers", r.layers().size());
            json.put("totalBytes", r.totalBytes());
            json.put("wastedBytes", r.wastedBytes());
            json.put("wastedFiles", r.wastedFiles());
            json.put("efficiency", r.efficiency());
            json.put("wasted", r.wasted().stream().map(w -> Map.of("path", w.path(), "bytes", w.bytes(),
                    "versions", w.versions())).toList());
            json.put("pass", broken.isEmpty());
            json.put("failures", broken);
            in.out().println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(json));
        } else {
            in.out().printf(Locale.ROOT, "image %s: %d layers, %s total, %s wasted in %d files, efficiency %.4f%n",
                    image.shortId(), r.layers().size(), ImagesCommand.human(r.totalBytes()), ImagesCommand.human(r.wastedBytes()),
                    r.wastedFiles(), r.efficiency());
            for (String b : broken) in.out().println("FAIL: " + b);
            if (broken.isEmpty() && (maxWasted >= 0 || minEfficiency >= 0)) in.out().println("PASS");
        }
        return broken.isEmpty() ? 0 : 1;
    }

    private static long size(String text) {
        if (text.strip().equals("0")) return 0;
        try {
            return runtime.core.cgroups.Limits.parseSize(text); // any size: a memory limit's least is not this one's
        } catch (IllegalArgumentException e) {
            throw new Invocation.UsageException("--max-wasted: bad size '" + text + "': want bytes, or a number with k, m or g");
        }
    }

    private static double ratio(String text) {
        try {
            double r = Double.parseDouble(text.strip());
            if (r >= 0 && r <= 1) return r;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new Invocation.UsageException("--min-efficiency: bad ratio '" + text + "': want a number between 0 and 1, e.g. 0.9");
    }
}
