using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Schemes;
using Distill.StudentTrainer.Tests.Distillation;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Schemes;

public class TeacherFullDistributionTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void The_tail_is_spread_like_the_student_and_the_whole_sums_to_1(ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        // V = 5, k = 2: the teacher holds 0.5 on id 3 and 0.2 on id 1, so its tail is 0.3.
        double[] logits = [0.4, -1.0, 1.3, 0.0, -0.7];
        double[] q = Softmax(logits);
        double outside = q[0] + q[2] + q[4];
        double[] expected = [0.3 * q[0] / outside, 0.2, 0.3 * q[2] / outside, 0.5, 0.3 * q[4] / outside];

        Tensor studentLogits = tensor(logits, dtype).reshape(1, 1, 5);
        Tensor ids = tensor(new long[] { 3, 1 }).reshape(1, 1, 2);
        Tensor teacher = tensor(new[] { Math.Log(0.5), Math.Log(0.2) }, dtype).reshape(1, 1, 2);
        Tensor logP = TeacherFullDistribution.LogProbs(studentLogits, ids, teacher);

        Assert.Equal(dtype, logP.dtype);
        Assert.Equal([1L, 1, 5], logP.shape);
        double tolerance = dtype == ScalarType.Float32 ? 1e-6 : 1e-12;
        double[] p = TopKCase.Values(logP.exp());
        for (int v = 0; v < 5; v++) Assert.Equal(expected[v], p[v], tolerance);
        Assert.Equal(1.0, p.Sum(), tolerance);
    }

    [Fact]
    public void Rows_of_a_batch_keep_their_own_teacher_and_student()
    {
        using var scope = NewDisposeScope();
        var data = TopKCase.Random(seed: 5, batch: 2, time: 3, vocab: 7, k: 3);
        Tensor logits = data.LogitsTensor(ScalarType.Float64, requiresGrad: true);
        Tensor ids = data.IdsTensor();
        Tensor teacher = data.TeacherTensor(ScalarType.Float64);
        Tensor logP = TeacherFullDistribution.LogProbs(logits, ids, teacher);

        Assert.False(logP.requires_grad);
        double[] sums = TopKCase.Values(logP.exp().sum(-1));
        Assert.All(sums, s => Assert.Equal(1.0, s, 1e-12));
        Assert.Equal(TopKCase.Values(teacher), TopKCase.Values(logP.gather(-1, ids)));
        // Outside K, p / q is the same constant P_tail / Q_out within a row, and differs between rows.
        Tensor ratio = logP.sub(logits.detach().log_softmax(-1)).scatter(-1, ids, full_like(teacher, Scalars.Of(double.NaN)));
        double[] row0 = TopKCase.Values(ratio[0, 0]).Where(double.IsFinite).ToArray();
        double[] row1 = TopKCase.Values(ratio[1, 2]).Where(double.IsFinite).ToArray();
        Assert.Equal(4, row0.Length);
        Assert.All(row0, x => Assert.Equal(row0[0], x, 1e-12));
        Assert.All(row1, x => Assert.Equal(row1[0], x, 1e-12));
        Assert.NotEqual(row0[0], row1[0], 6);
    }

    [Fact]
    public void With_k_equal_to_V_it_is_the_teachers_answer()
    {
        using var scope = NewDisposeScope();
        Tensor logits = tensor(new[] { 2.0, 0.0, -1.0 }).reshape(1, 3);
        Tensor ids = tensor(new long[] { 2, 0, 1 }).reshape(1, 3);
        Tensor teacher = tensor(new[] { Math.Log(0.6), Math.Log(0.3), Math.Log(0.1) }).reshape(1, 3);
        double[] p = TopKCase.Values(TeacherFullDistribution.LogProbs(logits, ids, teacher).exp());
        Assert.Equal(0.3, p[0], 1e-12);
        Assert.Equal(0.1, p[1], 1e-12);
        Assert.Equal(0.6, p[2], 1e-12);
    }

    [Fact]
    public void Mismatched_shapes_are_refused()
    {
        using var scope = NewDisposeScope();
        Tensor logits = zeros(2, 5);
        Assert.Throws<ArgumentException>(() => TeacherFullDistribution.LogProbs(logits, zeros(3, 2, ScalarType.Int64), zeros(3, 2)));
        Assert.Throws<ArgumentException>(() => TeacherFullDistribution.LogProbs(logits, zeros(2, 2, ScalarType.Int32), zeros(2, 2)));
        Assert.Throws<ArgumentException>(() => TeacherFullDistribution.LogProbs(logits, zeros(2, 6, ScalarType.Int64), zeros(2, 6)));
    }

    internal static double[] Softmax(double[] logits)
    {
        double max = logits.Max();
        double[] e = logits.Select(x => Math.Exp(x - max)).ToArray();
        return e.Select(x => x / e.Sum()).ToArray();
    }
}
