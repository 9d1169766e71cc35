using NativeFree.Models.Layers;
using NativeFree.Models.Spec;

namespace NativeFree.Kernels.Spec;

/// <summary>
/// The SPEC grammar as the kernel commands read it: Models' one grammar (<see cref="SpecParser"/>, every layer of
/// <see cref="SpecGrammar"/>) plus the kernel-only activations (abrelu, abs, sign, cos, rbf, monomial,
/// rectified_monomial), e.g. <c>dense(512, w_std=1.5, b_std=0.05) relu dense(1, w_std=1.5, b_std=0.05)</c>. The
/// result is a Models description: <see cref="KernelFunction"/> gives its kernels and <c>Build</c> its finite network.
/// Errors are <see cref="ArgumentException"/>s naming the 1-based column.
/// </summary>
public static class NetworkSpec
{
    /// <summary>The grammar and the layer list, as printed by <c>nativefree kernel --help</c>.</summary>
    public const string Grammar = SpecGrammar.Help + "\n" +
        "Kernel-only activations (closed-form duals; their finite networks run too):\n" +
        "  abrelu(a, b)  abs  sign  cos(a=1, b=1, c=0)  rbf(gamma=1)  monomial(degree ≤ 16)  rectified_monomial(degree ≤ 128)\n" +
        "Kernels exist for dense/linear/conv with w_std and b_std (NTK or standard parametrization), every activation (tanh, sigmoid, silu,\n" +
        "softplus, elu by quadrature), avg_pool (unpadded), global_avg_pool, flatten, layer_norm (flat inputs), dropout, residual and fan_in_*.\n" +
        "Every nonlinearity must follow dense/conv; spatial networks end in flatten or global_avg_pool before dense.";

    /// <summary>The kernel-only layers by SPEC name (passed to <see cref="SpecParser.Parse"/>).</summary>
    public static IReadOnlyDictionary<string, LayerFactory> KernelLayers { get; } = new Dictionary<string, LayerFactory>(StringComparer.Ordinal)
    {
        ["abrelu"] = a => { a.Accept("a", "b"); return new ABReluSpec(a.Num("a", null), a.Num("b", null)); },
        ["abs"] = a => { a.Accept(); return new AbsSpec(); },
        ["sign"] = a => { a.Accept(); return new SignSpec(); },
        ["cos"] = a => { a.Accept("a", "b", "c"); return new CosSpec(a.Num("a", 1), a.Num("b", 1), a.Num("c", 0)); },
        ["rbf"] = a =>
        {
            a.Accept("gamma");
            double g = a.Num("gamma", 1);
            return g > 0 ? new RbfSpec(g) : throw a.Error(a.At("gamma"), $"rbf gamma must be > 0, got {g}");
        },
        ["monomial"] = a => { a.Accept("degree"); return new MonomialSpec(Degree(a, 16)); },
        ["rectified_monomial"] = a => { a.Accept("degree"); return new RectifiedMonomialSpec(Degree(a, 128)); },
    };

    private static int Degree(SpecArgs a, int max)
    {
        int d = a.Int("degree", null);
        return d >= 0 && d <= max ? d : throw a.Error(a.At("degree"), $"degree must be in 0..{max}, got {d}");
    }

    /// <summary>Parses <paramref name="spec"/> (the Models grammar and the kernel-only activations).</summary>
    public static SequentialSpec Parse(string spec) => SpecParser.Parse(spec, KernelLayers);
}
