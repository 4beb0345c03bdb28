using TorchSharp;
using static TorchSharp.torch;

namespace Distill.StudentTrainer.Tests;

public class TorchNativeTests
{
    [Fact]
    public void Torch_initialises_and_computes_on_this_machine()
    {
        using var a = tensor(new float[] { 1, 2, 3 });
        using var b = a.matmul(a);
        Assert.Equal(14f, b.item<float>());
    }
}
