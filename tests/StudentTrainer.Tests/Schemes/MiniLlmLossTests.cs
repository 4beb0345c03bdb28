using Distill.StudentTrainer.Data;
using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using Distill.StudentTrainer.Tests.Model;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public class MiniLlmLossTests
{
    // One row of three response tokens y = (0, 1, 2) over four ids.
    private static readonly long[] Tokens = [0, 1, 2];
    private static readonly double[] OldQ = [0.5, 0.25, 0.5];          // q_old(y_t)
    private static readonly double[][] TeacherP = [[0.25, 0.25, 0.25, 0.25], [0.2, 0.5, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25]];
    private static readonly double[] Weights = [1.0, 2.0, 0.5];
    private static readonly double[][] NewQ = [[0.65, 0.15, 0.1, 0.1], [0.4, 0.15, 0.25, 0.2], [0.2, 0.1, 0.5, 0.2]];

    private static readonly MiniLlmOptions Unwhitened = new() { RewardClip = null, WhitenAdvantages = false };

    [Fact]
    public void Rewards_returns_ratios_and_the_clipped_loss_match_a_hand_computation()
    {
        using var scope = NewDisposeScope();
        MiniLlmRollout rollout = HandRollout();
        MiniLlmAdvantages advantages = MiniLlmLoss.Advantages(rollout, Unwhitened);
        MiniLlmLossParts parts = MiniLlmLoss.Compute(NewLogits(), rollout, advantages, Unwhitened);

        double ln2 = Math.Log(2);
        // r_t = log p(y_t) − log q_old(y_t) = log(0.25/0.5), log(0.5/0.25), log(0.25/0.5)
        Assert.Equal([-ln2, ln2, -ln2], Values(advantages.Rewards), new Close(1e-6));
        // Strictly later rewards, discounted by 0.95 and divided by how many there are; nothing follows the last token.
        double[] returns = [(ln2 + 0.95 * -ln2) / 2, -ln2, 0];
        Assert.Equal(returns, Values(advantages.Returns), new Close(1e-6));
        // Ratios 0.65/0.5 = 1.3 (clipped to 1.2 with A > 0), 0.15/0.25 = 0.6 (clipped to 0.8 with A < 0), 0.5/0.5 = 1.
        double[] perToken = [-1.2 * returns[0] * Weights[0], -0.8 * returns[1] * Weights[1], 0];
        Assert.Equal(perToken.Average(), parts.PolicyGradient.item<float>(), 5);
        Assert.Equal((1.3 + 0.6 + 1.0) / 3, parts.RatioMean.item<float>(), 5);
        Assert.Equal(2.0 / 3, parts.ClipFraction.item<float>(), 5);
        double kl = Enumerable.Range(0, 3).Average(t => NewQ[t].Zip(TeacherP[t], (q, p) => q * Math.Log(q / p)).Sum());
        Assert.Equal(kl, parts.Regulariser.item<float>(), 5);
        Assert.Equal(perToken.Average() + kl, parts.Loss.item<float>(), 5);
        Assert.Equal(perToken.Average(), MiniLlmLoss.Compute(NewLogits(), rollout, advantages,
            Unwhitened with { SingleStepRegularisation = false }).Loss.item<float>(), 5);
    }

    [Fact]
    public void Whitened_advantages_have_mean_0_and_variance_1_over_the_response()
    {
        using var scope = NewDisposeScope();
        MiniLlmAdvantages advantages = MiniLlmLoss.Advantages(HandRollout(), new MiniLlmOptions { RewardClip = null });
        double[] whitened = Values(advantages.Advantages);
        Assert.Equal(0, whitened.Average(), 5);
        Assert.Equal(1, whitened.Average(a => a * a), 4);
    }

    [Fact]
    public void Positions_after_a_rows_end_change_nothing()
    {
        using CausalLm teacherModel = TinyModels.Create(MiniLlmFixtures.TeacherConfig, seed: 21);
        using CausalLm student = TinyModels.Create(MiniLlmFixtures.StudentConfig, seed: 22);
        TokenizedPair[] pairs = MiniLlmFixtures.Pairs(4);
        using var scope = NewDisposeScope();
        using var generator = new Generator(9);
        MiniLlmTrainerOptions options = MiniLlmFixtures.Options() with { EosId = 9 };
        MiniLlmRollout rollout = MiniLlmRolloutSampler.Collect(student, new LocalGptTeacher(teacherModel), pairs, options, generator, null, default);
        Assert.Contains(false, rollout.Mask.data<bool>().ToArray());   // the pattern's 9 ends some row early

        Tensor outside = rollout.Mask.logical_not();
        const float huge = 1e30f;
        MiniLlmRollout spoiled = rollout with
        {
            OldLogProbs = rollout.OldLogProbs.masked_fill(outside, float.NaN),
            TeacherTokenLogProbs = rollout.TeacherTokenLogProbs.masked_fill(outside, huge),
            ImportanceWeights = rollout.ImportanceWeights.masked_fill(outside, huge),
            TeacherLogProbs = rollout.TeacherLogProbs.masked_fill(outside.unsqueeze(-1), float.NaN),
        };
        Tensor logits = rollout.ResponseLogits(student);
        Tensor spoiledLogits = logits.masked_fill(outside.unsqueeze(-1), huge);
        float[] clean = Figures(MiniLlmLoss.Compute(logits, rollout, MiniLlmLoss.Advantages(rollout, options.MiniLlm), options.MiniLlm));
        float[] dirty = Figures(MiniLlmLoss.Compute(spoiledLogits, spoiled, MiniLlmLoss.Advantages(spoiled, options.MiniLlm), options.MiniLlm));
        Assert.All(clean, value => Assert.True(float.IsFinite(value)));
        Assert.Equal(clean, dirty);
    }

    private static float[] Figures(MiniLlmLossParts parts) =>
        [parts.Loss.item<float>(), parts.PolicyGradient.item<float>(), parts.Regulariser.item<float>(),
         parts.RatioMean.item<float>(), parts.ClipFraction.item<float>()];

    private static MiniLlmRollout HandRollout()
    {
        Tensor teacherIds = arange(4, ScalarType.Int64).expand(1, 3, 4).contiguous();
        return new MiniLlmRollout(
            tensor(new long[] { 3 }).view(1, 1), tensor(new[] { true }).view(1, 1), tensor(new long[] { 0 }).view(1, 1),
            tensor(Tokens).view(1, 3), ones(1, 3, ScalarType.Bool),
            Floats(OldQ.Select(v => Math.Log(v))).view(1, 3),
            Floats(Enumerable.Range(0, 3).Select(t => Math.Log(TeacherP[t][Tokens[t]]))).view(1, 3),
            Floats(Weights).view(1, 3),
            teacherIds, Floats(TeacherP.SelectMany(p => p).Select(v => Math.Log(v))).view(1, 3, 4),
            [3], 3, TimeSpan.Zero);
    }

    private static Tensor NewLogits() => Floats(NewQ.SelectMany(q => q).Select(v => Math.Log(v))).view(1, 3, 4);

    private static Tensor Floats(IEnumerable<double> values) => tensor(values.Select(v => (float)v).ToArray());

    private static double[] Values(Tensor tensor) => [.. tensor.flatten().to_type(ScalarType.Float64).data<double>()];

    private sealed class Close(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(double value) => 0;
    }
}
