using NativeFree.Autograd;
using NativeFree.Kernels.Empirical;

namespace NativeFree.Kernels.Layers;

// The Autograd forward pass of parallel branches: every branch sees x, outputs are summed or concatenated on channels.
public sealed partial class Branches : IDifferentiableLayer
{
    /// <inheritdoc/>
    public Var<double> Apply(Parameters parameters, ParameterVars vars, Var<double> x)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(x);
        var outs = new Var<double>[Parallel.Count];
        for (int i = 0; i < outs.Length; i++) outs[i] = ParameterVars.ApplyLayer(Parallel[i], parameters.Children[i], vars, x);
        if (Merge == FanIn.Concat) return Var<double>.Concat(outs, -1);
        for (int i = 1; i < outs.Length; i++)
            if (!outs[i].Shape.SequenceEqual(outs[0].Shape))
                throw new ArgumentException($"{Name}: branch outputs [{string.Join(", ", outs[0].Value.ShapeArray)}] and [{string.Join(", ", outs[i].Value.ShapeArray)}] cannot be summed.");
        var sum = outs[0];
        for (int i = 1; i < outs.Length; i++) sum = sum + outs[i];
        return sum;
    }
}
