using NativeFree.Models.Layers;

namespace NativeFree.Models.Spec;

/// <summary>
/// The SPEC layer table: each name and how its arguments become a spec. The name says the convention:
/// <c>linear</c>, <c>conv1d</c>, <c>conv2d</c> are PyTorch's layers with PyTorch's defaults (standard
/// parametrization, Kaiming-uniform init, bias, no padding); <c>dense</c> and <c>conv</c> keep
/// neural-tangents' defaults (NTK parametrization, σ_w = 1, σ_b = 0, SAME padding). Any default can be
/// overridden by argument.
/// </summary>
public static partial class SpecGrammar
{
    /// <summary>Help text listing every layer, as printed by the commands' --help.</summary>
    public const string Help =
        "SPEC is a space-separated list of layers; a layer is NAME or NAME(ARGS): positional values, then key=value pairs.\n" +
        "Sizes like 3x3 give one value per spatial axis. parameterization= is accepted for parametrization=.\n" +
        "  linear(out, bias=true, w_std, b_std, parametrization=standard|ntk|mup|mup-adam, role=auto)   PyTorch nn.Linear\n" +
        "  dense(width, w_std=1, b_std=0|none, parametrization=ntk)                                        neural-tangents Dense\n" +
        "  relu  leaky_relu(slope=0.01)  gelu  erf(a=1, b=1, c=0)  tanh  sigmoid  silu  softplus(beta=1)  elu(alpha=1)\n" +
        "  sin(a=1, b=1, c=0)  identity  flatten\n" +
        "  conv1d(out, kernel, stride=1, padding=0|N|same|valid, dilation=1, groups=1, bias=true, w_std, b_std, parametrization=standard, role=auto)\n" +
        "  conv2d(out, kernel, …) as conv1d, sizes N or NxM                                                PyTorch nn.Conv1d/Conv2d\n" +
        "  conv(channels, filter=3, stride=1, padding=same|valid|N, w_std=1, b_std=0|none, parametrization=ntk, dims=2)   neural-tangents Conv (dims=1: [C, L])\n" +
        "  max_pool(kernel, stride=kernel, padding=0, ceil_mode=false)  max_pool1d(…)                       nn.MaxPool2d/1d\n" +
        "  avg_pool(kernel, stride=kernel, padding=0, ceil_mode=false, count_include_pad=true)  avg_pool1d(…)\n" +
        "  adaptive_avg_pool(out)  adaptive_avg_pool1d(out)  global_avg_pool (mean over spatial axes: [C, H, W] → [C])\n" +
        "  batch_norm(eps=1e-5, momentum=0.1|none, affine=true, track_running_stats=true)   1d for [C] or [C, L], 2d for [C, H, W]\n" +
        "  layer_norm(eps=1e-5, elementwise_affine=true, axes=all|last)   all: every per-example axis; last: the last axis only\n" +
        "  group_norm(groups, eps=1e-5, affine=true)\n" +
        "  dropout(p=0.5) or dropout(keep=k)    drop probability p (PyTorch) or keep probability k = 1 − p (neural-tangents)\n" +
        "  embedding(num, dim)                  integer ids (as floats) [N] or [N, L] → [N, dim] or [N, L, dim]\n" +
        "  residual(LAYERS)                     x + LAYERS(x)\n" +
        "  fan_in_sum(LAYERS | LAYERS | …)      parallel branches, summed (identity for a skip)\n" +
        "  fan_in_concat(LAYERS | LAYERS | …)   parallel branches, concatenated along channels";

    /// <summary>The standard layers by SPEC name.</summary>
    public static IReadOnlyDictionary<string, LayerFactory> Layers { get; } = Build();

    private static Dictionary<string, LayerFactory> Build()
    {
        var table = Dense();
        AddConvolutional(table);
        return table;
    }

    private static Dictionary<string, LayerFactory> Dense() => new(StringComparer.Ordinal)
    {
        ["linear"] = a =>
        {
            a.Accept("out", "bias", "w_std", "b_std", "parametrization", "role");
            var p = a.Param(Parametrization.Standard);
            return new LinearSpec(Positive(a, "out"), a.Bool("bias", true) && !a.IsNone("b_std"))
            { Parametrization = p, WStd = NonNegative(a, "w_std", a.OptNum("w_std", null)), BStd = NonNegative(a, "b_std", a.OptNum("b_std", null)), Role = a.Role() };
        },
        ["dense"] = a =>
        {
            a.Accept("width", "w_std", "b_std", "parametrization", "role");
            var p = a.Param(Parametrization.Ntk);
            bool bias = !a.IsNone("b_std");
            return new LinearSpec(Positive(a, "width"), bias)
            {
                Parametrization = p, Spelling = "dense", Role = a.Role(),
                WStd = NonNegative(a, "w_std", a.Num("w_std", 1)),
                BStd = bias ? NonNegative(a, "b_std", a.Num("b_std", 0)) : null,
            };
        },
        ["relu"] = a => { a.Accept(); return new ReluSpec(); },
        ["leaky_relu"] = a => { a.Accept("slope"); return new LeakyReluSpec(a.Num("slope", 0.01)); },
        ["gelu"] = a => { a.Accept(); return new GeluSpec(); },
        ["erf"] = a => { a.Accept("a", "b", "c"); return new ErfSpec(a.Num("a", 1), a.Num("b", 1), a.Num("c", 0)); },
        ["sin"] = a => { a.Accept("a", "b", "c"); return new SinSpec(a.Num("a", 1), a.Num("b", 1), a.Num("c", 0)); },
        ["tanh"] = a => { a.Accept(); return new TanhSpec(); },
        ["sigmoid"] = a => { a.Accept(); return new SigmoidSpec(); },
        ["silu"] = a => { a.Accept(); return new SiluSpec(); },
        ["softplus"] = a => { a.Accept("beta"); double b = a.Num("beta", 1); return b > 0 ? new SoftplusSpec(b) : throw a.Error(a.At("beta"), "softplus beta must be > 0"); },
        ["elu"] = a => { a.Accept("alpha"); return new EluSpec(a.Num("alpha", 1)); },
        ["identity"] = a => { a.Accept(); return new IdentitySpec(); },
        ["flatten"] = a => { a.Accept(); return new FlattenSpec(); },
    };

    /// <summary>A required integer argument that must be ≥ 1.</summary>
    public static int Positive(SpecArgs a, string name)
    {
        int v = a.Int(name, null);
        return v >= 1 ? v : throw a.Error(a.At(name), $"'{name}' must be ≥ 1, got {v}");
    }

    /// <summary>An optional number that must be ≥ 0 when given.</summary>
    public static double? NonNegative(SpecArgs a, string name, double? v)
        => v is null or >= 0 ? v : throw a.Error(a.At(name), $"'{name}' must be ≥ 0, got {v}");
}
