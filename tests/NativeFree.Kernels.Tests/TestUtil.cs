using NativeFree.Kernels;
using NativeFree.Models;
using NativeFree.Models.Spec;
using NativeFree.Tensors;
using NativeFree.Tensors.Randomness;

namespace NativeFree.Kernels.Tests;

internal static class TestUtil
{
    /// <summary>N(0, 1) values of the given shape from the seeded counter-based generator.</summary>
    public static Tensor<double> RandomInputs(int seed, params int[] shape) => new Rng((ulong)(uint)seed).StandardNormal<double>(shape);

    /// <summary>
    /// Signals or images in the Models layout ([N, C, L], [N, C, H, W]) holding the values <see cref="RandomInputs"/> draws
    /// for the channels-last shape [N, …spatial, C]: the same inputs the channels-last kernel tests always used.
    /// </summary>
    public static Tensor<double> RandomImages(int seed, params int[] channelsLastShape)
        => KernelFunction.ChannelsFirst(RandomInputs(seed, channelsLastShape));

    /// <summary>
    /// Jacobian of the network's eval-mode outputs with respect to every parameter by central differences on the stored
    /// values (no Autograd): row input·outputs + o, column = the parameter's index in state-dict order.
    /// </summary>
    public static double[,] FiniteDifferenceJacobian(Module<double> net, Tensor<double> x)
    {
        var ps = net.Parameters();
        int rows = net.Predict(x).Length, total = ps.Sum(p => p.Length);
        var jac = new double[rows, total];
        int at = 0;
        const double h = 1e-6;
        foreach (var p in ps)
        {
            var s = p.Value.AsSpan();
            for (int e = 0; e < p.Length; e++, at++)
            {
                double keep = s[e];
                s[e] = keep + h; var up = net.Predict(x).ToArray();
                s[e] = keep - h; var dn = net.Predict(x).ToArray();
                s[e] = keep;
                for (int r = 0; r < rows; r++) jac[r, at] = (up[r] - dn[r]) / (2 * h);
            }
        }
        return jac;
    }

    /// <summary>Gauss–Jordan inverse with partial pivoting: the naive oracle for solves and posteriors.</summary>
    public static double[,] Inverse(double[,] a)
    {
        int n = a.GetLength(0);
        var m = new double[n, 2 * n];
        for (int i = 0; i < n; i++) { for (int j = 0; j < n; j++) m[i, j] = a[i, j]; m[i, n + i] = 1; }
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int r = c + 1; r < n; r++) if (Math.Abs(m[r, c]) > Math.Abs(m[p, c])) p = r;
            for (int j = 0; j < 2 * n; j++) (m[c, j], m[p, j]) = (m[p, j], m[c, j]);
            double d = m[c, c];
            for (int j = 0; j < 2 * n; j++) m[c, j] /= d;
            for (int r = 0; r < n; r++)
            {
                if (r == c) continue;
                double f = m[r, c];
                for (int j = 0; j < 2 * n; j++) m[r, j] -= f * m[c, j];
            }
        }
        var inv = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) inv[i, j] = m[i, n + j];
        return inv;
    }

    /// <summary><see cref="Inverse(double[,])"/> of a square [n, n] tensor.</summary>
    public static double[,] Inverse(Tensor<double> a)
    {
        int n = a.Dim(0);
        var m = new double[n, n];
        for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) m[i, j] = a[i, j];
        return Inverse(m);
    }

    public static double RelFrobenius(double[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / Math.Max(den, 1e-300));
    }

    /// <summary>
    /// Monte-Carlo NNGP of the finite network the spec builds: mean over samples and output units of f(x1)·f(x2), inputs in
    /// the network's layout (NCHW). Each sample is a fresh initialisation from its own seed.
    /// </summary>
    public static double[] MonteCarloNngp(LayerSpec spec, Tensor<double> x1, Tensor<double> x2, int samples, int seed)
    {
        int n1 = x1.Dim(0), n2 = x2.Dim(0);
        var acc = new double[n1 * n2];
        for (int s = 0; s < samples; s++)
        {
            var net = spec.Build<double>(x1.ShapeArray[1..], new Rng((ulong)(seed + 7919 * s)));
            var y1 = net.Predict(x1).ToArray();
            var y2 = net.Predict(x2).ToArray();
            int c = y1.Length / n1;
            for (int i = 0; i < n1; i++)
                for (int j = 0; j < n2; j++)
                {
                    double d = 0;
                    for (int k = 0; k < c; k++) d += y1[i * c + k] * y2[j * c + k];
                    acc[i * n2 + j] += d / c / samples;
                }
        }
        return acc;
    }
}
