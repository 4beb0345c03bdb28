using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public class TeacherMixedSamplingTests
{
    private static readonly double[] Teacher = [0.7, 0.1, 0.1, 0.1];
    private static readonly double[] Student = [0.1, 0.2, 0.3, 0.4];
    private static readonly double[] Mixture = [0.22, 0.18, 0.26, 0.34];   // 0.2·p + 0.8·q

    [Fact]
    public void The_mixture_is_alpha_teacher_plus_the_rest_student()
    {
        using var scope = NewDisposeScope();
        Tensor logMixture = TeacherMixedSampling.MixtureLogProbs(Log(Teacher), Log(Student), alpha: 0.2);
        double[] mixture = TopKCase.Values(logMixture.exp());
        for (int v = 0; v < 4; v++) Assert.Equal(Mixture[v], mixture[v], 1e-12);
        double[] studentOnly = TopKCase.Values(TeacherMixedSampling.MixtureLogProbs(Log(Teacher), Log(Student), 0).exp());
        for (int v = 0; v < 4; v++) Assert.Equal(Student[v], studentOnly[v], 1e-12);
    }

    [Fact]
    public void Sampled_token_frequencies_match_the_mixture()
    {
        using var scope = NewDisposeScope();
        const int draws = 20_000;   // σ of a frequency ≤ 0.0035
        Tensor logMixture = TeacherMixedSampling.MixtureLogProbs(Log(Teacher), Log(Student), 0.2).expand(draws, 4);
        using var generator = new Generator(17);
        Tensor tokens = TeacherMixedSampling.Sample(logMixture, generator);
        Assert.Equal([(long)draws], tokens.shape);
        Assert.Equal(ScalarType.Int64, tokens.dtype);
        long[] counts = tokens.bincount(null, 4).data<long>().ToArray();
        for (int v = 0; v < 4; v++) Assert.Equal(Mixture[v], counts[v] / (double)draws, 0.015);

        using var again = new Generator(17);
        Assert.Equal(tokens.data<long>().ToArray(), TeacherMixedSampling.Sample(logMixture, again).data<long>().ToArray());
    }

    [Fact]
    public void Sampling_keeps_the_leading_dimensions()
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(3);
        Tensor logMixture = randn(2, 3, 6).log_softmax(-1);
        Assert.Equal([2L, 3], TeacherMixedSampling.Sample(logMixture, generator).shape);
    }

    [Fact]
    public void Importance_weights_are_student_over_mixture_of_the_sampled_token()
    {
        using var scope = NewDisposeScope();
        Tensor logQ = Log(Student).expand(3, 4).requires_grad_(true);
        Tensor logMixture = TeacherMixedSampling.MixtureLogProbs(Log(Teacher).expand(3, 4), logQ, 0.2);
        Tensor weights = TeacherMixedSampling.ImportanceWeights(logQ, logMixture, tensor(new long[] { 0, 3, 1 }));
        Assert.False(weights.requires_grad);
        double[] w = TopKCase.Values(weights);
        Assert.Equal(0.1 / 0.22, w[0], 1e-12);
        Assert.Equal(0.4 / 0.34, w[1], 1e-12);
        Assert.Equal(0.2 / 0.18, w[2], 1e-12);
    }

    [Fact]
    public void Without_the_teacher_the_weights_are_1()
    {
        using var scope = NewDisposeScope();
        Tensor logMixture = TeacherMixedSampling.MixtureLogProbs(Log(Teacher), Log(Student), 0);
        double[] w = TopKCase.Values(TeacherMixedSampling.ImportanceWeights(Log(Student).expand(4, 4), logMixture.expand(4, 4), arange(4, ScalarType.Int64)));
        Assert.All(w, x => Assert.Equal(1.0, x, 1e-12));
    }

    [Fact]
    public void Tokens_must_match_the_distributions_leading_dimensions()
    {
        using var scope = NewDisposeScope();
        Tensor logQ = Log(Student).expand(3, 4);
        Assert.Throws<ArgumentException>(() => TeacherMixedSampling.ImportanceWeights(logQ, logQ, tensor(new long[] { 0, 1 })));
        Assert.Throws<ArgumentException>(() => TeacherMixedSampling.ImportanceWeights(logQ, logQ, tensor(new[] { 0, 1, 2 })));
        Assert.Throws<ArgumentOutOfRangeException>(() => TeacherMixedSampling.MixtureLogProbs(logQ, logQ, 1.5));
    }

    private static Tensor Log(double[] probabilities) => tensor(probabilities.Select(x => Math.Log(x)).ToArray());
}
