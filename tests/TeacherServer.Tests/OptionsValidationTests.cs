using Distill.TeacherServer.Hosting;
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
}
