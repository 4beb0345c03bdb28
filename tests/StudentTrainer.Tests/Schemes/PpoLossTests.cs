using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public class PpoLossTests
{
    private const double Clip = 0.2;

    // Four response tokens and one padding position; ratios q_new/q_old, advantages and importance weights per token.
    private static readonly double[] Ratios = [1.5, 0.5, 1.1, 0.5, 7.0];
    private static readonly double[] Advantages = [1.0, 2.0, -1.0, -1.0, 5.0];
    private static readonly double[] Weights = [0.5, 2.0, 1.0, 1.5, 3.0];
    private static readonly bool[] Mask = [true, true, true, true, false];
    private static readonly double[] OldLogProbs = [Math.Log(0.2), Math.Log(0.4), Math.Log(0.5), Math.Log(0.1), Math.Log(0.3)];

    [Fact]
    public void The_loss_is_the_weighted_masked_mean_of_the_clipped_objective()
    {
        using var scope = NewDisposeScope();
        var (newLogProbs, loss) = Compute(Clip);
        // Per token −min(ratio·A, clip(ratio)·A):
        //   1.5 with A = 1:  min(1.5, 1.2) = 1.2       → −1.2, clipped
        //   0.5 with A = 2:  min(1.0, 1.6) = 1.0       → −1.0, not clipped
        //   1.1 with A = −1: min(−1.1, −1.1)           → 1.1, inside the range
        //   0.5 with A = −1: min(−0.5, −0.8) = −0.8    → 0.8, clipped
        double expected = (0.5 * -1.2 + 2.0 * -1.0 + 1.0 * 1.1 + 1.5 * 0.8) / 4;
        Assert.Equal(expected, loss.item<double>(), 12);

        loss.backward();
        // d/d log q_new of −w·A·ratio is −w·A·ratio where the unclipped term is taken, 0 where the clip holds it.
        double[] gradient = TopKCase.Values(newLogProbs.grad!);
        double[] expectedGradient = [0, -2.0 * 2.0 * 0.5 / 4, -1.0 * -1.0 * 1.1 / 4, 0, 0];
        for (int i = 0; i < 5; i++) Assert.Equal(expectedGradient[i], gradient[i], 12);
    }

    [Fact]
    public void A_wider_clip_range_lets_the_large_ratios_through()
    {
        using var scope = NewDisposeScope();
        var (newLogProbs, loss) = Compute(clip: 0.6);
        // 1.5 ∈ [0.4, 1.6] and 0.5 ∈ [0.4, 1.6]: no token is clipped now.
        double expected = (0.5 * -1.5 + 2.0 * -1.0 + 1.0 * 1.1 + 1.5 * 0.5) / 4;
        Assert.Equal(expected, loss.item<double>(), 12);
        loss.backward();
        double[] gradient = TopKCase.Values(newLogProbs.grad!);
        Assert.Equal(-0.5 * 1.0 * 1.5 / 4, gradient[0], 12);
        Assert.Equal(-1.5 * -1.0 * 0.5 / 4, gradient[3], 12);
    }

    [Fact]
    public void The_gradient_reaches_only_the_new_log_probs()
    {
        using var scope = NewDisposeScope();
        Tensor newLogProbs = Row(OldLogProbs.Zip(Ratios, (old, ratio) => old + Math.Log(ratio))).requires_grad_(true);
        Tensor old = Row(OldLogProbs).requires_grad_(true);
        Tensor advantages = Row(Advantages).requires_grad_(true);
        Tensor weights = Row(Weights).requires_grad_(true);
        Tensor loss = PpoLoss.ClippedPolicyGradient(newLogProbs, old, advantages, weights, MaskTensor(), Clip);
        loss.backward();
        Assert.NotNull(newLogProbs.grad);
        Assert.Null(old.grad);
        Assert.Null(advantages.grad);
        Assert.Null(weights.grad);
    }

    [Fact]
    public void An_empty_mask_gives_0_and_finite_gradients_whatever_the_padding_holds()
    {
        using var scope = NewDisposeScope();
        Tensor newLogProbs = tensor(new[] { 80.0, 0.0 }).reshape(1, 2).requires_grad_(true);
        Tensor old = tensor(new[] { -80.0, double.NegativeInfinity }).reshape(1, 2);
        Tensor loss = PpoLoss.ClippedPolicyGradient(newLogProbs, old, ones(1, 2, ScalarType.Float64), ones(1, 2, ScalarType.Float64),
                                                    zeros(1, 2, ScalarType.Bool), Clip);
        Assert.Equal(0.0, loss.item<double>());
        loss.backward();
        Assert.All(TopKCase.Values(newLogProbs.grad!), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void Mismatched_inputs_are_refused()
    {
        using var scope = NewDisposeScope();
        Tensor row = Row(OldLogProbs);
        Assert.Throws<ArgumentException>(() => PpoLoss.ClippedPolicyGradient(row, row, zeros(1, 4, ScalarType.Float64), row, MaskTensor(), Clip));
        Assert.Throws<ArgumentException>(() => PpoLoss.ClippedPolicyGradient(row, row, row, row, ones(1, 5), Clip));
        Assert.Throws<ArgumentOutOfRangeException>(() => PpoLoss.ClippedPolicyGradient(row, row, row, row, MaskTensor(), 0));
    }

    private static (Tensor NewLogProbs, Tensor Loss) Compute(double clip)
    {
        Tensor newLogProbs = Row(OldLogProbs.Zip(Ratios, (old, ratio) => old + Math.Log(ratio))).requires_grad_(true);
        Tensor loss = PpoLoss.ClippedPolicyGradient(newLogProbs, Row(OldLogProbs), Row(Advantages), Row(Weights), MaskTensor(), clip);
        return (newLogProbs, loss);
    }

    private static Tensor Row(IEnumerable<double> values) => tensor(values.ToArray()).reshape(1, -1);

    private static Tensor MaskTensor() => tensor(Mask).reshape(1, -1);
}
