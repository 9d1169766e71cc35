using NativeFree.Autograd;
using NativeFree.Tensors;
using NativeFree.Tensors.IO;
using NativeFree.Tensors.LinearAlgebra;
using NativeFree.Tensors.Randomness;
using Xunit;

namespace NativeFree.Autograd.Tests;

/// <summary>The README's usage example, kept compiling and checked against closed forms.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void Readme_example_runs_and_gives_the_documented_results()
    {
        // --- README example begins ---
        var rng = new Rng(seed: 42);
        var x = rng.Normal(0.0, 1.0, 64, 10);                    // Tensor<double> [64, 10]
        var w = Var<double>.Parameter(rng.Normal(0.0, 0.3, 10, 3), "w");
        int[] labels = Enumerable.Range(0, 64).Select(i => i % 3).ToArray();

        var logits = Var<double>.MatMul(x, w).Relu();            // recorded: w requires a gradient
        var loss = Nn.CrossEntropy(logits, labels);
        loss.Backward();                                         // w.Grad now holds dloss/dw [10, 3]

        // Hessian-vector product (Pearlmutter), no Hessian formed: f = Σ v³ → H·u = 6·v⊙u
        var hv = Autodiff.Hvp(v => (v * v * v).Sum(), Tensor.Ones<double>(3), Tensor.Arange<double>(3));

        var a = Tensor.MatMul(x.Mt, x) + Tensor.Eye<double>(10); // SPD [10, 10], on the packed GEMM
        var chol = Linalg.Cholesky(a);                           // lower factor L, A = L·Lᵀ
        var eig = Linalg.Eigh(a);                                // ascending eigenvalues, vectors as columns
        Npy.Write("w.npy", w.Value);                             // readable by numpy.load
        // --- README example ends ---

        Assert.Equal(new[] { 10, 3 }, w.Grad!.Value.ShapeArray);
        Assert.Equal(new double[] { 0, 6, 12 }, hv.ToArray());
        var reconstructed = Tensor.MatMul(chol, chol.Mt);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a.Storage[i], reconstructed.Storage[i], 1e-9);
        Assert.True(eig.Eigenvalues[0] >= 1.0 - 1e-9);          // A = XᵀX + I has eigenvalues ≥ 1
        Assert.Equal(w.Value.ToArray(), Npy.Read<double>("w.npy").ToArray());
        File.Delete("w.npy");
        Assert.True(double.IsFinite(loss.Value.ToScalar()));
    }
}
