using NativeFree.Cli.Bench;
using Xunit;

namespace NativeFree.Cli.Tests;

/// <summary><c>bench mlp-step --impl models</c> runs the same training as the hand-written step it replaced.</summary>
public class MlpStepImplTests
{
    // Same draws, same loss (cross-entropy), same update (p + (−lr)·g, fused multiply-add in both). Only the
    // forward GEMM differs (x·W on W [in, out] by hand, x·Wᵀ on Linear's [out, in]), so float32 sums may
    // round differently: 1e-5 relative over 8 steps of a lr = 0.1 run, whose losses fall visibly.
    [Theory]
    [InlineData(1, new[] { 4, 8, 3 })]   // the bench's batch-1 shape 4-8-1 has one class: loss and gradients are 0
    [InlineData(16, new[] { 12, 32, 24, 5 })]
    [InlineData(64, new[] { 64, 128, 128, 10 })]
    public void ModelsAndHandStepsFollowTheSameTrajectory(int batch, int[] dims)
    {
        var hand = IMlpStep.Create("hand", batch, dims, learningRate: 0.1f, seed: 5);
        var models = IMlpStep.Create("models", batch, dims, learningRate: 0.1f, seed: 5);
        AssertClose(hand.Weights(), models.Weights(), 0);   // same initial weights, exactly
        var losses = new List<float>();
        for (int step = 0; step < 8; step++)
        {
            float lh = hand.Step(), lm = models.Step();
            Assert.True(Math.Abs(lh - lm) <= 1e-5 * Math.Max(1, Math.Abs(lh)), $"step {step}: loss {lm} (models) vs {lh} (hand)");
            losses.Add(lh);
        }
        AssertClose(hand.Weights(), models.Weights(), 1e-5);
        Assert.True(losses[^1] < losses[0] - 1e-3, $"the loss should fall: {string.Join(", ", losses)}");
    }

    private static void AssertClose(float[][] expected, float[][] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int p = 0; p < expected.Length; p++)
        {
            Assert.Equal(expected[p].Length, actual[p].Length);
            double scale = expected[p].Max(v => Math.Abs((double)v));
            for (int i = 0; i < expected[p].Length; i++)
                Assert.True(Math.Abs(expected[p][i] - actual[p][i]) <= tolerance * Math.Max(1, scale),
                    $"parameter {p} element {i}: {actual[p][i]} (models) vs {expected[p][i]} (hand)");
        }
    }

    [Fact]
    public void AnUnknownImplementationIsRefused()
        => Assert.Contains("models or hand", Assert.Throws<ArgumentException>(() => IMlpStep.Create("torch", 1, [4, 8, 1])).Message);
}
