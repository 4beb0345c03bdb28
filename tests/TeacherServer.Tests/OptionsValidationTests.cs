using Distill.TeacherServer.Hosting;
using Distill.TeacherServer.Onnx;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Distill.TeacherServer.Tests;

/// <summary>
/// Invalid settings stop the server at start. Checked on the server's own options registration through the host's
/// start-up validator: a WebApplicationFactory whose host fails to start sometimes reports a disposed service
/// provider instead of the validation error.
/// </summary>
public sealed class OptionsValidationTests
{
    private static void ValidateAtStart(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddTeacherServerOptions();
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Theory]
    [InlineData("TeacherServer:ExecutionProvider", "tpu")]
    [InlineData("TeacherServer:ExecutionProvider", "cuda")]
    [InlineData("TeacherServer:TopKPlacement", "gpu")]
    [InlineData("TeacherServer:TopKPlacement", "")]
    [InlineData("TeacherServer:MaxK", "0")]
    [InlineData("TeacherServer:MaxBatchTokens", "-1")]
    [InlineData("TeacherServer:MaxQueue", "0")]
    [InlineData("TeacherServer:MaxRequestBytes", "0")]
    [InlineData("TeacherServer:ApiKey", "")]
    [InlineData("TeacherServer:BatchWindowMilliseconds", "-1")]
    [InlineData("TeacherServer:WorkBudgetBytes", "-1")]
    [InlineData("TeacherServer:BodyBudgetBytes", "-1")]
    [InlineData("TeacherServer:MinRequestBodyBytesPerSecond", "0")]
    [InlineData("TeacherServer:MinResponseBytesPerSecond", "0")]
    [InlineData("TeacherServer:DataRateGraceSeconds", "0")]
    public void Invalid_options_stop_the_server_at_start(string key, string value)
    {
#if DISTILL_GPU
        if (value == "cuda")
        {
            return;
        }
#endif
        Assert.Throws<OptionsValidationException>(() => ValidateAtStart(key, value));
    }

    [Fact]
    public void Defaults_are_valid() => ValidateAtStart("TeacherServer:MaxK", "256");

    [Theory]
    [InlineData("auto")]
    [InlineData("Graph")]
    [InlineData("host")]
    public void Every_top_k_placement_is_valid(string value) => ValidateAtStart("TeacherServer:TopKPlacement", value);

    [Theory]
    [InlineData("auto", ExecutionProviders.Cpu, TopKPlacement.Host)]
    [InlineData("Auto", ExecutionProviders.Cuda, TopKPlacement.Graph)]
    [InlineData("graph", ExecutionProviders.Cpu, TopKPlacement.Graph)]
    [InlineData("Host", ExecutionProviders.Cuda, TopKPlacement.Host)]
    public void Auto_selects_the_top_k_in_the_graph_on_a_gpu_only(string value, string provider, TopKPlacement expected) =>
        Assert.Equal(expected, TopKPlacements.Resolve(value, provider));
}
