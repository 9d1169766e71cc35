using NativeFree.Models.Layers;

namespace NativeFree.Models.Spec;

// The convolutional, pooling, normalisation, dropout and embedding layers of the SPEC table.
public static partial class SpecGrammar
{
    private static void AddConvolutional(Dictionary<string, LayerFactory> t)
    {
        t["conv1d"] = a => Conv(a, 1, nt: false);
        t["conv2d"] = a => Conv(a, 2, nt: false);
        // neural-tangents' Conv takes a filter of any rank: dims=1 for signals [C, L], 2 (the default) for images.
        t["conv"] = a =>
        {
            a.Accept(NtConvArgs); // binds the arguments, so dims can be read before the rank-dependent sizes
            return Conv(a, a.Has("dims") ? ConvDims(a) : 2, nt: true);
        };
        t["max_pool"] = a => Pool(a, 2, max: true);
        t["max_pool1d"] = a => Pool(a, 1, max: true);
        t["avg_pool"] = a => Pool(a, 2, max: false);
        t["avg_pool1d"] = a => Pool(a, 1, max: false);
        t["adaptive_avg_pool"] = a => { a.Accept("out"); return new AdaptiveAvgPoolSpec(PositiveSizes(a, "out", 2, null)); };
        t["adaptive_avg_pool1d"] = a => { a.Accept("out"); return new AdaptiveAvgPoolSpec(PositiveSizes(a, "out", 1, null)); };
        t["global_avg_pool"] = a => { a.Accept(); return new GlobalAvgPoolSpec(); };
        t["batch_norm"] = a =>
        {
            a.Accept("eps", "momentum", "affine", "track_running_stats");
            double? m = a.OptNum("momentum", 0.1);
            if (m is { } v && !(v >= 0 && v <= 1)) throw a.Error(a.At("momentum"), $"'momentum' must be in [0, 1] or none, got {v}");
            return new BatchNormSpec(Eps(a), m, a.Bool("affine", true), a.Bool("track_running_stats", true));
        };
        t["layer_norm"] = a =>
        {
            a.Accept("eps", "elementwise_affine", "axes");
            string axes = a.Str("axes", "all");
            if (axes is not ("all" or "last")) throw a.Error(a.At("axes"), $"'axes' must be all or last, got '{axes}'");
            return new LayerNormSpec(Eps(a), a.Bool("elementwise_affine", true), axes == "last");
        };
        t["group_norm"] = a => { a.Accept("groups", "eps", "affine"); return new GroupNormSpec(Positive(a, "groups"), Eps(a), a.Bool("affine", true)); };
        t["dropout"] = a =>
        {
            a.Accept("p", "keep");
            if (a.Has("p") && a.Has("keep")) throw a.Error("dropout takes one of p (drop probability) or keep (keep probability)");
            if (!a.Has("keep") && !a.Has("p")) return new DropoutSpec(0.5);   // torch's default
            string name = a.Has("p") ? "p" : "keep";
            double v = a.Num(name, null);
            if (!(v >= 0 && v <= 1)) throw a.Error(a.At(name), $"'{name}' must be in [0, 1], got {v}");
            return name == "p" ? new DropoutSpec(v) : DropoutSpec.FromKeep(v);
        };
        t["embedding"] = a => { a.Accept("num", "dim"); return new EmbeddingSpec(Positive(a, "num"), Positive(a, "dim")); };
    }

    private static LayerSpec Conv(SpecArgs a, int rank, bool nt)
    {
        if (!nt) a.Accept("out", "kernel", "stride", "padding", "dilation", "groups", "bias", "w_std", "b_std", "parametrization", "role");
        int outChannels = Positive(a, nt ? "channels" : "out");
        int[] kernel = nt ? PositiveSizes(a, "filter", rank, Enumerable.Repeat(3, rank).ToArray()) : PositiveSizes(a, "kernel", rank, null);
        int[] stride = PositiveSizes(a, "stride", rank, Enumerable.Repeat(1, rank).ToArray());
        string pad = a.Str("padding", nt ? "same" : "0");
        bool same = pad == "same";
        int[] padding = same || pad == "valid" ? new int[rank] : a.Sizes("padding", rank, new int[rank]);
        if (padding.Any(p => p < 0)) throw a.Error(a.At("padding"), "'padding' must be ≥ 0, same or valid");
        if (same && !nt && stride.Any(s => s != 1)) throw a.Error(a.At("padding"), "padding=same needs stride 1 (as PyTorch's)");
        bool bias = nt ? !a.IsNone("b_std") : a.Bool("bias", true) && !a.IsNone("b_std");
        var spec = rank == 1 ? (ConvSpec)new Conv1dSpec(outChannels, kernel[0]) : new Conv2dSpec(outChannels, kernel[0], kernel[1]);
        return spec with
        {
            Stride = stride, Padding = padding, Same = same, Dilation = PositiveSizes(a, "dilation", rank, Enumerable.Repeat(1, rank).ToArray()),
            Groups = a.Has("groups") ? Positive(a, "groups") : 1, Bias = bias,
            WStd = NonNegative(a, "w_std", nt ? a.Num("w_std", 1) : a.OptNum("w_std", null)),
            BStd = !bias ? null : NonNegative(a, "b_std", nt ? a.Num("b_std", 0) : a.OptNum("b_std", null)),
            Parametrization = a.Param(nt ? Parametrization.Ntk : Parametrization.Standard), Role = a.Role(), Spelling = nt ? "conv" : "",
        };
    }

    private static LayerSpec Pool(SpecArgs a, int rank, bool max)
    {
        if (max) a.Accept("kernel", "stride", "padding", "ceil_mode");
        else a.Accept("kernel", "stride", "padding", "ceil_mode", "count_include_pad");
        int[] kernel = PositiveSizes(a, "kernel", rank, null);
        int[] padding = a.Sizes("padding", rank, new int[rank]);
        for (int i = 0; i < rank; i++)
            if (padding[i] < 0 || 2 * padding[i] > kernel[i]) throw a.Error(a.At("padding"), $"'padding' must be between 0 and half the kernel, got {Sizes.Text(padding)}");
        PoolSpec spec = max ? new MaxPoolSpec(kernel) : new AvgPoolSpec(kernel) { CountIncludePad = a.Bool("count_include_pad", true) };
        return spec with { Stride = PositiveSizes(a, "stride", rank, kernel), Padding = padding, CeilMode = a.Bool("ceil_mode", false) };
    }

    private static readonly string[] NtConvArgs = ["channels", "filter", "stride", "padding", "dilation", "groups", "w_std", "b_std", "parametrization", "role", "dims"];

    private static int ConvDims(SpecArgs a)
    {
        int d = a.Int("dims", 2);
        return d is 1 or 2 ? d : throw a.Error(a.At("dims"), $"'dims' must be 1 or 2 spatial axes, got {d}");
    }

    private static int[] PositiveSizes(SpecArgs a, string name, int rank, int[]? fallback)
    {
        var s = a.Sizes(name, rank, fallback);
        return s.All(v => v >= 1) ? s : throw a.Error(a.At(name), $"'{name}' must be ≥ 1, got {Sizes.Text(s)}");
    }

    private static double Eps(SpecArgs a)
    {
        double e = a.Num("eps", 1e-5);
        return e > 0 ? e : throw a.Error(a.At("eps"), $"'eps' must be > 0, got {e}");
    }
}
