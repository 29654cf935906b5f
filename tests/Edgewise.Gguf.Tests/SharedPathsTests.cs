using Edgewise.Testing;

namespace Edgewise.Gguf.Tests;

public class SharedPathsTests
{
    [Fact]
    public void Reference_Located_ContainsModelsAndLogits()
    {
        Assert.True(Directory.Exists(SharedPaths.ReferenceFile("models")));
        Assert.True(Directory.Exists(SharedPaths.ReferenceFile("logits")));
    }
}
