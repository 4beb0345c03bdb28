using Distill.StudentTrainer.Distillation;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public class MiniLlmRewardTests
{
    private const double Gamma = 0.95;

    [Fact]
    public void The_options_carry_the_papers_defaults()
    {
        var options = new MiniLlmOptions();
        Assert.Equal(0.2, options.TeacherMixAlpha);
        Assert.Equal(0.2, options.PpoClip);
        Assert.Equal(1.0, options.RewardClip);
        Assert.Null(options.RewardScaling);
        Assert.Equal(0.95, options.Gamma);
        Assert.True(options.LengthNormalise);
        Assert.True(options.SingleStepRegularisation);
        Assert.Equal(1.0, options.LmCoefficient);
        options.Validate();
        Assert.Throws<ArgumentException>(() => (options with { TeacherMixAlpha = 1 }).Validate());
    }

    [Fact]
    public void Rewards_are_teacher_minus_student_log_probs_clipped_and_masked()
    {
        using var scope = NewDisposeScope();
        // Row 0: p(y) = 0.5, 0.1, 0.2 and q(y) = 0.25, 0.9, 0.2. Row 1: two tokens, then padding holding NaN.
        Tensor logP = tensor(new[] { Math.Log(0.5), Math.Log(0.1), Math.Log(0.2), Math.Log(0.3), Math.Log(0.6), double.NaN }).reshape(2, 3);
        Tensor logQ = tensor(new[] { Math.Log(0.25), Math.Log(0.9), Math.Log(0.2), Math.Log(0.6), Math.Log(0.2), double.NaN }).reshape(2, 3);
        Tensor mask = tensor(new[] { true, true, true, true, true, false }).reshape(2, 3);

        double[] clipped = TopKCase.Values(MiniLlmRewards.Rewards(logP, logQ, mask, scaling: null, clip: 1.0));
        double[] expected = [Math.Log(2), -1, 0, Math.Log(0.5), 1, 0];           // log 9 and log 3 clipped to ∓1
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], clipped[i], 12);

        double[] scaled = TopKCase.Values(MiniLlmRewards.Rewards(logP, logQ, mask, scaling: 0.5, clip: null));
        double[] raw = [Math.Log(2), Math.Log(0.1 / 0.9), 0, Math.Log(0.5), Math.Log(3), 0];
        for (int i = 0; i < 6; i++) Assert.Equal(raw[i] / 0.5, scaled[i], 12);
    }

    [Fact]
    public void Rewards_are_constants_and_a_zero_teacher_probability_stays_finite()
    {
        using var scope = NewDisposeScope();
        Tensor logQ = tensor(new[] { Math.Log(0.5) }).reshape(1, 1).requires_grad_(true);
        Tensor logP = tensor(new[] { double.NegativeInfinity }).reshape(1, 1);
        Tensor rewards = MiniLlmRewards.Rewards(logP, logQ, ones(1, 1, ScalarType.Bool), null, null);
        Assert.False(rewards.requires_grad);
        double smallestNormalFloat32 = 1.17549435e-38;
        Assert.Equal(Math.Log(smallestNormalFloat32) - Math.Log(0.5), rewards.item<double>(), 9);
    }

    [Fact]
    public void Returns_sum_the_later_rewards_discounted_and_divided_by_their_number()
    {
        using var scope = NewDisposeScope();
        double[] r = [0.5, -1.0, 0.25];
        // Row 0: a 3-token response. Row 1: 2 tokens then padding. Row 2: a prompt position, then 2 tokens.
        Tensor rewards = tensor(new[] { r[0], r[1], r[2], r[0], r[1], 9.0, 9.0, r[1], r[2] }).reshape(3, 3);
        Tensor mask = tensor(new[] { true, true, true, true, true, false, false, true, true }).reshape(3, 3);

        double[] later = TopKCase.Values(MiniLlmReturns.Returns(rewards, mask, Gamma, lengthNormalise: true, includeCurrentReward: false));
        double[] expectedLater =
        [
            (r[1] + Gamma * r[2]) / 2, r[2] / 1, 0,
            r[1] / 1, 0, 0,
            0, r[2] / 1, 0,
        ];
        for (int i = 0; i < 9; i++) Assert.Equal(expectedLater[i], later[i], 12);

        double[] unnormalised = TopKCase.Values(MiniLlmReturns.Returns(rewards, mask, Gamma, lengthNormalise: false, includeCurrentReward: false));
        Assert.Equal(r[1] + Gamma * r[2], unnormalised[0], 12);
    }

    [Fact]
    public void Returns_from_the_current_reward_are_lmops_definition()
    {
        using var scope = NewDisposeScope();
        double[] r = [0.5, -1.0, 0.25];
        Tensor rewards = tensor(new[] { r[0], r[1], r[2], r[0], r[1], 9.0 }).reshape(2, 3);
        Tensor mask = tensor(new[] { true, true, true, true, true, false }).reshape(2, 3);

        double[] normalised = TopKCase.Values(MiniLlmReturns.Returns(rewards, mask, Gamma, lengthNormalise: true, includeCurrentReward: true));
        double[] expected =
        [
            (r[0] + Gamma * r[1] + Gamma * Gamma * r[2]) / 3, (r[1] + Gamma * r[2]) / 2, r[2],
            (r[0] + Gamma * r[1]) / 2, r[1], 0,
        ];
        for (int i = 0; i < 6; i++) Assert.Equal(expected[i], normalised[i], 12);

        double[] plain = TopKCase.Values(MiniLlmReturns.Returns(rewards, mask, Gamma, lengthNormalise: false, includeCurrentReward: true));
        Assert.Equal(r[0] + Gamma * r[1] + Gamma * Gamma * r[2], plain[0], 12);
    }

    [Fact]
    public void Whitening_uses_the_masked_in_positions_only()
    {
        using var scope = NewDisposeScope();
        Tensor advantages = tensor(new[] { 1.0, 2.0, 3.0, 100.0 }).reshape(2, 2);
        Tensor mask = tensor(new[] { true, true, true, false }).reshape(2, 2);
        double[] white = TopKCase.Values(MiniLlmReturns.Whiten(advantages, mask));
        double scale = 1 / Math.Sqrt(2.0 / 3 + 1e-8);
        Assert.Equal(-scale, white[0], 9);
        Assert.Equal(0, white[1], 9);
        Assert.Equal(scale, white[2], 9);
        Assert.Equal(0, white[3]);
    }

    [Fact]
    public void The_single_step_term_is_the_reverse_kl_over_the_vocabulary()
    {
        using var scope = NewDisposeScope();
        // Position 0: q = (1/2, 1/4, 1/4), p = (1/4, 1/4, 1/2): KL(q‖p) = ½·ln 2 − ¼·ln 2 = ¼·ln 2. Position 1 is masked out.
        Tensor logQ = tensor(new[] { 0.5, 0.25, 0.25, 0.2, 0.2, 0.6 }.Select(x => Math.Log(x)).ToArray()).reshape(1, 2, 3).requires_grad_(true);
        Tensor logP = tensor(new[] { 0.25, 0.25, 0.5, 0.9, 0.05, 0.05 }.Select(x => Math.Log(x)).ToArray()).reshape(1, 2, 3).requires_grad_(true);
        Tensor mask = tensor(new[] { true, false }).reshape(1, 2);
        Tensor kl = MiniLlmRewards.SingleStepRegularisation(logQ, logP, mask);
        Assert.Equal(0.25 * Math.Log(2), kl.item<double>(), 12);
        kl.backward();
        Assert.NotNull(logQ.grad);
        Assert.Null(logP.grad);
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void With_the_rebuilt_teacher_it_equals_the_tail_bucket_reverse_kl_and_its_gradient(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 21, batch: 2, time: 3, vocab: 9, k: 3).AsSeenBy(dtype);
        var options = new DivergenceOptions();

        Tensor logits = data.LogitsTensor(dtype, requiresGrad: true);
        Tensor logP = TeacherFullDistribution.LogProbs(logits, data.IdsTensor(), data.TeacherTensor(dtype));
        Tensor singleStep = MiniLlmRewards.SingleStepRegularisation(logits.log_softmax(-1), logP, data.MaskTensor());
        singleStep.backward();

        Tensor bucketLogits = data.LogitsTensor(dtype, requiresGrad: true);
        Tensor bucket = Divergences.Compute(DivergenceKind.Rkl, bucketLogits, data.IdsTensor(), data.TeacherTensor(dtype), data.MaskTensor(), options);
        bucket.backward();

        double tolerance = dtype == ScalarType.Float32 ? 1e-5 : 1e-12;
        Assert.Equal(bucket.to_type(ScalarType.Float64).item<double>(), singleStep.to_type(ScalarType.Float64).item<double>(), tolerance);
        double[] expected = TopKCase.Values(bucketLogits.grad!), actual = TopKCase.Values(logits.grad!);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], tolerance);
    }
}
