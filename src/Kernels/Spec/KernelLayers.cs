using NativeFree.Models;
using NativeFree.Models.Layers;
using NativeFree.Models.Spec;
using K = NativeFree.Kernels.Layers;

namespace NativeFree.Kernels.Spec;

/// <summary>
/// Reads a Models layer description as its infinite-width kernel transform: the one place where a
/// <see cref="LayerSpec"/> (what the SPEC grammar, <see cref="Stax"/> and checkpoints describe) becomes the
/// <see cref="ILayer"/> that maps NNGP/NTK covariances. The finite network of the same spec is
/// <see cref="LayerSpec.Build{T}(int[], NativeFree.Tensors.Randomness.Rng)"/>; nothing here allocates weights.
/// A layer with no kernel (max pooling, batch norm, μP…) is refused with the reason, not approximated.
/// </summary>
public static class KernelLayers
{
    /// <summary>The kernel transform of <paramref name="spec"/>.</summary>
    /// <exception cref="NotSupportedException">The layer, or this configuration of it, has no infinite-width kernel here (the message says which and why).</exception>
    public static ILayer From(LayerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec switch
        {
            KernelTransformSpec t => t.Transform,
            SequentialSpec s => new K.Serial(s.Layers.Select(From).ToArray()),
            ResidualSpec r => new K.Branches(FanIn.Sum, new K.Identity(), From(r.Body)),
            ParallelSpec p => new K.Branches(p.Join, p.Branches.Select(b => b.Layers.Count == 0 ? new K.Identity() : From(b)).ToArray()),
            LinearSpec l => Dense(l),
            ConvSpec c => Conv(c),
            AvgPoolSpec a => AvgPool(a),
            GlobalAvgPoolSpec => new K.GlobalAvgPool(),
            FlattenSpec => new K.Flatten(),
            LayerNormSpec n => LayerNorm(n),
            DropoutSpec d => d.P < 1 ? new K.Dropout(1 - d.P) : throw No(d, "p = 1 drops everything"),
            ActivationSpec a => Activation(a),
            MaxPoolSpec => throw No(spec, "max pooling of a Gaussian process is not Gaussian and has no closed-form kernel; use avg_pool, or the empirical NTK of the finite network (ModuleKernel)"),
            BatchNormSpec => throw No(spec, "batch statistics couple the inputs of a batch; use layer_norm, or the empirical NTK of the finite network (ModuleKernel)"),
            _ => throw No(spec, "this layer has no infinite-width kernel; use the empirical NTK of the finite network (ModuleKernel)"),
        };
    }

    private static NotSupportedException No(LayerSpec spec, string why) => new($"{spec}: {why}.");

    private static void CheckParametrization(LayerSpec spec, Parametrization p, double? wStd, double? bStd, bool bias)
    {
        if (p.IsMuP) throw No(spec, "μP has no neural-tangent kernel limit (its features move at every width); use parametrization=ntk or standard");
        if (p == Parametrization.Standard && (wStd is null || (bias && bStd is null)))
            throw No(spec, "PyTorch's default Kaiming-uniform init has no neural-tangents kernel; give w_std and b_std (e.g. dense, or linear(…, w_std=1.4, b_std=0.1))");
    }

    private static K.WeightScaling Scaling(Parametrization p) => p == Parametrization.Ntk ? K.WeightScaling.Ntk : K.WeightScaling.Standard;

    private static ILayer Dense(LinearSpec l)
    {
        CheckParametrization(l, l.Parametrization, l.WStd, l.BStd, l.Bias);
        // Kernels' dense acts on the channels of every position; Models' linear acts on the last axis, which for
        // [C, H, W] is W: the two agree only on flat inputs, so the kernel layer checks for them.
        return new K.Dense(l.OutFeatures, l.WStd ?? 1, l.Bias ? l.BStd ?? 0 : null, Scaling(l.Parametrization)) { FlatInputsOnly = true };
    }

    private static ILayer Conv(ConvSpec c)
    {
        CheckParametrization(c, c.Parametrization, c.WStd, c.BStd, c.Bias);
        if (c.Groups != 1) throw No(c, "grouped convolutions have no kernel here");
        if (c.Dilation.Any(d => d != 1)) throw No(c, "dilated convolutions have no kernel here");
        K.Padding padding;
        if (c.Same) padding = K.Padding.Same;
        else if (c.Padding.All(p => p == 0)) padding = K.Padding.Valid;
        // Explicit symmetric padding (k − 1)/2 with stride 1 and odd k is SAME.
        else if (c.Stride.All(s => s == 1) && c.Kernel.Zip(c.Padding).All(kp => kp.First % 2 == 1 && kp.Second == (kp.First - 1) / 2)) padding = K.Padding.Same;
        else throw No(c, "only padding 0 (valid) and same have a kernel here");
        return new K.Conv(c.OutChannels, c.Kernel.ToArray(), c.Stride.ToArray(), padding, c.WStd ?? 1, c.Bias ? c.BStd ?? 0 : null, Scaling(c.Parametrization));
    }

    private static ILayer LayerNorm(LayerNormSpec n)
    {
        if (n.LastAxisOnly) throw No(n, "axes=last normalises the last axis of [C, H, W] (W), which has no kernel here; use axes=all");
        // The gain's gradient is the normalised input itself, which the next nonlinearity's φ′ depends on: its NTK term is
        // E[u·v·φ′(u)φ′(v)], not (Σ + 1)·E[φ′φ′] (a Monte-Carlo check of that shortcut misses by 13 %), so it is not offered.
        if (n.ElementwiseAffine) throw No(n, "the NTK of layer norm's trainable gain and shift is not implemented; use layer_norm(elementwise_affine=false) (neural-tangents' LayerNorm)");
        return new K.LayerNorm(n.Eps, flatInputsOnly: true);
    }

    private static ILayer AvgPool(AvgPoolSpec a)
    {
        if (a.CeilMode || a.Padding.Any(p => p != 0)) throw No(a, "only unpadded average pooling (padding=0, ceil_mode=false) has a kernel here");
        return new K.AvgPool(a.Kernel.ToArray(), a.Stride.ToArray(), K.Padding.Valid);
    }

    private static ILayer Activation(ActivationSpec a) => a switch
    {
        KernelActivationSpec k => k.Transform(),
        ReluSpec => new K.Relu(),
        LeakyReluSpec l => new K.LeakyRelu(l.Slope),
        GeluSpec => new K.Gelu(),
        ErfSpec e => new K.Erf(e.A, e.B, e.C),
        SinSpec s => new K.Sin(s.A, s.B, s.C),
        IdentitySpec => new K.Identity(),
        // No closed form (tanh, sigmoid, silu, softplus, elu, any Var function): 2-D Gauss–Hermite quadrature of the
        // spec's own φ, with φ′ by autodiff of the same function.
        _ => K.QuadratureActivation.FromAutograd(x => a.Apply(x), name: a.ToString()),
    };
}
