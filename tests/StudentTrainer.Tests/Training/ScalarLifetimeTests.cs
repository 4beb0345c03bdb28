using Distill.StudentTrainer.Model;
using Distill.StudentTrainer.Training;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests.Training;

public class ScalarLifetimeTests
{
    [Fact]
    public void No_code_of_the_trainer_hands_native_code_a_temporary_scalar()
    {
        Type[] trainer = typeof(CausalLm).Assembly.GetTypes();
        IReadOnlyList<string> found = ImplicitScalarCalls.In(trainer, new HashSet<Type> { typeof(Scalars), typeof(AdamWOptimizer) });
        Assert.True(found.Count == 0, "temporary Scalars (use Scalars.Of or a Scalar held by using):\n" + string.Join("\n", found));
    }

    [Fact]
    public void The_scan_finds_implicit_scalars_made_here_and_inside_torchsharp()
    {
        IReadOnlyList<string> found = ImplicitScalarCalls.In([typeof(Offender)], new HashSet<Type>());
        Assert.Contains(found, f => f.EndsWith("Scalar.op_Implicit(Double)", StringComparison.Ordinal));       // masked_fill(m, 0.0)
        Assert.Contains(found, f => f.EndsWith("Tensor.op_Addition(Tensor, Tensor)", StringComparison.Ordinal)); // alpha = 1
        Assert.Contains(found, f => f.Contains("arange", StringComparison.Ordinal));                            // start = 0, step = 1
        Assert.DoesNotContain(found, f => f.Contains(nameof(Offender.Safe), StringComparison.Ordinal));
    }

    private static class Offender
    {
        public static Tensor Unsafe(Tensor t, Tensor mask) => t.masked_fill(mask, 0.0) + arange(3);

        public static Tensor Safe(Tensor t, Tensor mask) => t.masked_fill(mask, Scalars.Of(0.0)).add(t, Scalars.One);
    }
}
